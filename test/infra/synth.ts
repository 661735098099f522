import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LinkgapStack, type LinkgapStackProps } from '../../infra/linkgap-stack.ts';

const outdirs: string[] = [];

/** A fresh cloud-assembly folder under the OS temp dir; removed by `removeSynthOutputs`. */
export function tempOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'linkgap-infra-test-'));
  outdirs.push(dir);
  return dir;
}

/** Call from `afterAll`: App() would otherwise leave /tmp/cdk.out* folders behind. */
export function removeSynthOutputs(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface Synthesized {
  readonly app: App;
  readonly stack: LinkgapStack;
  readonly template: Template;
}

export interface SynthOptions {
  /** Bundle the functions with the local esbuild (slower). */
  readonly bundle?: boolean;
  /**
   * Run aws-cdk-lib's built-in CloudFormation schema validation. Loading its WebAssembly engine
   * costs several seconds per test process, so only the CLI synth test (which always runs it)
   * and tests that ask for it pay.
   */
  readonly cfnValidation?: boolean;
}

/**
 * Builds the stack in-process. Bundling is skipped (`aws:cdk:bundling-stacks: []`) unless asked
 * for: the assertions read the template, not the zip.
 */
export function synthLinkgap(props: LinkgapStackProps = {}, options: SynthOptions = {}): Synthesized {
  const app = new App({
    outdir: tempOutdir(),
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new LinkgapStack(app, 'Linkgap', props);
  return { app, stack, template: templateOf(stack, options.cfnValidation ?? false) };
}

/** Template.fromStack, with the built-in CloudFormation validation on or off for this synth only. */
export function templateOf(stack: Stack, cfnValidation = false): Template {
  const previous = process.env.CDK_VALIDATION;
  if (!cfnValidation) process.env.CDK_VALIDATION = 'false';
  try {
    return Template.fromStack(stack);
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}

/** The logical id of the resource of `type` whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} named ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
}
