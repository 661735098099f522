import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { MessageAttributeValue, SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { lazySchema } from '#domain/lazy-schema.ts';
import type { PublishPorts } from '#pipeline/publish.ts';
import type { DigestChannel } from '#shared/ports.ts';
import { createWebhookChannel, WebhookError } from '../webhook-channel.ts';
import { createDynamoDeliveryStore } from './delivery-store.ts';

/** The longest a SigV4 presigned URL can live: 7 days. */
export const REPORT_LINK_SECONDS = 7 * 24 * 3600;

/** Publishes the digest to the digest topic: a plain-text body for email, attributes for filter policies. */
export function createSnsChannel(options: {
  sns: () => Promise<SNSClient>;
  topicArn: string;
}): DigestChannel {
  return {
    name: 'sns',
    async send(digest) {
      const attributes: Record<string, MessageAttributeValue> = {};
      for (const [name, value] of Object.entries(digest.attributes)) {
        attributes[name] =
          typeof value === 'number'
            ? { DataType: 'Number', StringValue: String(value) }
            : { DataType: 'String', StringValue: value };
      }
      // The SNS client and its commands load with the first digest, not at every runner cold start.
      const { PublishCommand } = await import('@aws-sdk/client-sns');
      await (await options.sns()).send(
        new PublishCommand({
          TopicArn: options.topicArn,
          Subject: digest.subject,
          Message: digest.text,
          MessageAttributes: attributes,
        }),
      );
    },
  };
}

const WebhookSecret = lazySchema(() =>
  z.union([
    z.string().trim().startsWith('http'),
    z.string().transform((text, ctx) => {
      try {
        const parsed = z.object({ url: z.string() }).safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data.url;
      } catch {
        // not JSON either
      }
      ctx.addIssue({ code: 'custom', message: 'not a URL' });
      return z.NEVER;
    }),
  ]),
);

/** A webhook URL kept in Secrets Manager (the URL itself, or `{"url": "..."}`), read once per container. */
export function secretWebhookUrl(secrets: SecretsManagerClient): (secretId: string) => () => Promise<string> {
  const cache = new Map<string, Promise<string>>();
  const read = async (secretId: string) => {
    let text: string | undefined;
    try {
      text = (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      throw new WebhookError(`cannot read the webhook secret ${secretId}: ${(error as Error).name}`);
    }
    const parsed = WebhookSecret.safeParse(text ?? '');
    if (!parsed.success)
      throw new WebhookError(`secret ${secretId} holds no webhook URL (put the URL, or {"url":"..."})`);
    return parsed.data;
  };
  return (secretId) => () => {
    let url = cache.get(secretId);
    if (!url) {
      url = read(secretId);
      cache.set(secretId, url);
      url.catch(() => cache.delete(secretId)); // a fixed secret is read again on the next digest
    }
    return url;
  };
}

export interface AwsPublishOptions {
  doc: DynamoDBDocumentClient;
  tableName: string;
  s3: S3Client;
  bucket: string;
  /** The SNS client, built when the first digest is sent (clients.ts `snsClientOnDemand`). */
  sns: () => Promise<SNSClient>;
  secrets: SecretsManagerClient;
  /** The digest topic; without it no SNS digest is sent (the report is still written). */
  topicArn?: string;
}

/** Delivery in AWS: markers in the table, the SNS digest topic, a campaign's own webhook, presigned report links. */
export function awsPublishPorts(options: AwsPublishOptions): PublishPorts {
  const { topicArn } = options;
  const sns = topicArn ? createSnsChannel({ sns: options.sns, topicArn }) : undefined;
  const webhookUrl = secretWebhookUrl(options.secrets);
  return {
    deliveries: createDynamoDeliveryStore({ doc: options.doc, tableName: options.tableName }),
    channelsFor(campaign) {
      const channels: DigestChannel[] = sns ? [sns] : [];
      const secretId = campaign?.digestWebhookSecret;
      if (secretId)
        channels.push(createWebhookChannel({ url: webhookUrl(secretId), source: `secret ${secretId}` }));
      return channels;
    },
    async reportLink(key) {
      const command = new GetObjectCommand({ Bucket: options.bucket, Key: key });
      const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
      const href = await getSignedUrl(options.s3, command, { expiresIn: REPORT_LINK_SECONDS });
      return { href, note: `s3://${options.bucket}/${key}; this link works for up to 7 days` };
    },
    lakeWhere: `s3://${options.bucket}`,
  };
}
