import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { removeSynthOutputs, synthLinkgap, tempOutdir } from './synth.ts';

afterAll(removeSynthOutputs);

const ruleNames = (result: ReturnType<AwsSolutionsChecks['validateScope']>) =>
  result.violations.map((v) => v.ruleName);

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the stack', () => {
    const { app, stack } = synthLinkgap();
    const result = new AwsSolutionsChecks(app).validateScope(stack);
    expect(
      result.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
    ).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('finds nothing either with an existing secret and an alarm email', () => {
    const { app, stack } = synthLinkgap({ existingMozSecretName: 'team/moz', alarmEmail: 'ops@example.com' });
    expect(ruleNames(new AwsSolutionsChecks(app).validateScope(stack))).toEqual([]);
  });

  it('still flags what it should: an unencrypted, unlogged, TLS-optional bucket', () => {
    const app = new App({ outdir: tempOutdir() });
    const stack = new Stack(app, 'Throwaway');
    new s3.Bucket(stack, 'Careless', { encryption: s3.BucketEncryption.UNENCRYPTED, enforceSSL: false });
    const result = new AwsSolutionsChecks(app).validateScope(stack);
    expect(result.success).toBe(false);
    expect(ruleNames(result)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });

  it('records a written reason with every acknowledgement', () => {
    const { stack } = synthLinkgap();
    const acknowledgements = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata)
      .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});
