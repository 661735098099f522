import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { propsFromContext } from '../../infra/context.ts';
import { LinkgapStack } from '../../infra/linkgap-stack.ts';
import { logicalId, removeSynthOutputs, synthLinkgap, templateOf, tempOutdir } from './synth.ts';

afterAll(removeSynthOutputs);

const { template } = synthLinkgap();
type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };

function runnerStatements(): Statement[] {
  const roleId = logicalId(template, 'AWS::IAM::Role', 'RunnerRole');
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('digest delivery (issue 13)', () => {
  const digestTopic = logicalId(template, 'AWS::SNS::Topic', 'DigestTopic');

  it('has its own encrypted, TLS-only topic, separate from the alarm topic, named in the outputs', () => {
    expect(digestTopic).not.toBe(logicalId(template, 'AWS::SNS::Topic', 'OpsTopic'));
    const topic = template.findResources('AWS::SNS::Topic')[digestTopic]?.Properties;
    expect(topic.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::KMS::Key', 'DigestTopicKey'), 'Arn'],
    });
    const policy = JSON.stringify(template.findResources('AWS::SNS::TopicPolicy'));
    expect(policy).toContain('aws:SecureTransport');
    template.hasOutput('DigestTopicArn', { Value: { Ref: digestTopic } });
  });

  it('gives the runner the topic ARN and the right to publish to it (and only it)', () => {
    const runner = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) =>
      id.startsWith('Runner'),
    )?.[1];
    expect(runner?.Properties.Environment.Variables.LINKGAP_DIGEST_TOPIC_ARN).toEqual({ Ref: digestTopic });
    const publish = runnerStatements().filter((s) => [s.Action].flat().includes('sns:Publish'));
    expect(publish.map((s) => s.Resource)).toEqual([{ Ref: digestTopic }]);
  });

  it('lets the runner write and presign reports/ only, and read webhook secrets under linkgap/webhook/', () => {
    const reports = runnerStatements().find((s) => s.Sid === 'LakeReports');
    expect([reports?.Action].flat().sort()).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(reports?.Resource)).toContain('/reports/*');
    const secrets = runnerStatements().find((s) => s.Sid === 'DigestWebhookSecrets');
    expect(secrets?.Action).toBe('secretsmanager:GetSecretValue');
    expect(JSON.stringify(secrets?.Resource)).toContain(':secret:linkgap/webhook/*');
  });

  it.each(['DigestPublishFailed', 'ReportPublishFailed'])(
    'alarms on %s of the runner, to the alarm topic',
    (name) => {
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
        .map((a) => a.Properties)
        .find((a) => a.MetricName === name);
      expect(alarm).toMatchObject({
        Namespace: 'Linkgap',
        Dimensions: [{ Name: 'service', Value: 'linkgap-runner' }],
        Statistic: 'Sum',
        Threshold: 0,
        AlarmActions: [{ Ref: logicalId(template, 'AWS::SNS::Topic', 'OpsTopic') }],
      });
      expect(alarm.AlarmDescription).toContain('What to do:');
    },
  );

  it('subscribes -c digestEmail=... to the digest topic, not the alarm topic', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const app = new App({
      outdir: tempOutdir(),
      context: { 'aws:cdk:bundling-stacks': [], digestEmail: 'team@example.com' },
    });
    const withEmail = templateOf(new LinkgapStack(app, 'WithDigest', propsFromContext(app)));
    const subscriptions = Object.values(withEmail.findResources('AWS::SNS::Subscription'));
    expect(subscriptions.map((s) => s.Properties)).toEqual([
      {
        Protocol: 'email',
        Endpoint: 'team@example.com',
        TopicArn: { Ref: expect.stringMatching(/^DigestTopic/) },
      },
    ]);
  });
});
