import { execFileSync } from 'node:child_process';
import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { REPO_ROOT, repoPath } from '../paths.ts';

/**
 * The runtime every linkgap function uses. Pinned (not NODEJS_LATEST) so a CDK upgrade never
 * changes the runtime silently; cdk-nag L1 fails synth when Lambda ships a newer Node.js, which is
 * the reminder to move this one line.
 */
export const LINKGAP_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface LinkgapFunctionProps {
  /** Entry file relative to the repository root, e.g. `functions/runner/handler.ts` (exports `handler`). */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Maximum run time.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Environment variables; `NODE_OPTIONS=--enable-source-maps` is always added.
   * @default {}
   */
  readonly environment?: Record<string, string>;
  /**
   * How long the function's CloudWatch logs are kept. A year covers twelve monthly runs of every
   * campaign, enough to compare a run with the same month's run a year earlier or audit Moz row
   * spending; the volume (a few invocations a day) makes the cost negligible.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Active X-Ray tracing. Off by default: the pipeline's own metrics and logs carry the run id,
   * and tracing adds permissions on `*`.
   * @default false
   */
  readonly tracing?: boolean;
}

/**
 * A Lambda function with linkgap's defaults fixed in one place: Node.js 24 on arm64, an ESM bundle
 * (minified, with source maps, rarely used code in chunks loaded on demand) built by the local
 * esbuild (never Docker), an explicit log group with retention (`this.logGroup`), and a role that may
 * write only to that log group (no AWSLambdaBasicExecutionRole).
 *
 * The bundle is built by scripts/bundle-lambda.ts, not by NodejsFunction: NodejsFunction runs the
 * esbuild CLI, which cannot take plugins, and the bundles need two (scripts/esbuild-plugins.ts: zod
 * without its 258 KB of message locales, undici without the 350 KB the Moz client never uses). The
 * CLI build shares the same plugins, and bench/cold-start.ts measures this very build.
 */
export class LinkgapFunction extends lambda.Function {
  constructor(scope: Construct, id: string, props: LinkgapFunctionProps) {
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      // Logs are operational; the data (table, lake) is what the stack retains.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the linkgap ${id} function`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      code: bundledCode(props.entry),
      handler: 'index.handler',
      description: props.description,
      runtime: LINKGAP_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 256,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      logGroup,
      role,
      ...(props.tracing ? { tracing: lambda.Tracing.ACTIVE } : {}),
    });
  }
}

/**
 * The asset: `index.mjs` and its chunks, hashed by content (a change to any bundled source changes
 * the hash). Bundling runs in a child process because CDK's local bundling hook is synchronous and
 * esbuild plugins need esbuild's asynchronous API. Stacks whose bundling is skipped
 * (`aws:cdk:bundling-stacks`) never run it.
 */
function bundledCode(entry: string): lambda.Code {
  return lambda.Code.fromAsset(REPO_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling always succeeds or throws, so Docker is not a fallback.
      image: DockerImage.fromRegistry('linkgap-bundles-locally-only'),
      local: {
        tryBundle(outputDir) {
          execFileSync(
            process.execPath,
            ['--import', 'tsx', repoPath('scripts/bundle-lambda.ts'), entry, outputDir],
            { cwd: REPO_ROOT, stdio: ['ignore', process.stderr, 'inherit'], timeout: 120_000 },
          );
          return true;
        },
      },
    },
  });
}
