import { join } from 'node:path';
import type { Digest } from '#domain/digest.ts';
import type { PublishPorts } from '#pipeline/publish.ts';
import type { DigestChannel } from '#shared/ports.ts';
import { createWebhookChannel } from '../webhook-channel.ts';
import { createFileDeliveryStore } from './file-delivery-store.ts';

/** The environment variable a local run reads a webhook URL from (never printed). */
export const LOCAL_WEBHOOK_VARIABLE = 'LINKGAP_DIGEST_WEBHOOK_URL';

/**
 * Delivery on a laptop: reports into the local lake folder, delivery markers under LINKGAP_HOME,
 * the digest handed to `onDigest` (the CLI prints it), and to a webhook when LINKGAP_DIGEST_WEBHOOK_URL is set.
 */
export function localPublishPorts(options: {
  home: string;
  lakeRoot: string;
  env: Record<string, string | undefined>;
  onDigest: (digest: Digest) => void;
}): PublishPorts {
  const terminal: DigestChannel = { name: 'console', send: async (digest) => options.onDigest(digest) };
  const webhookUrl = options.env[LOCAL_WEBHOOK_VARIABLE];
  const webhook = webhookUrl
    ? createWebhookChannel({ url: async () => webhookUrl, source: `$${LOCAL_WEBHOOK_VARIABLE}` })
    : undefined;
  return {
    deliveries: createFileDeliveryStore(options.home),
    channelsFor: () => (webhook ? [terminal, webhook] : [terminal]),
    reportLink: async (key) => ({ href: join(options.lakeRoot, ...key.split('/')) }),
    lakeWhere: options.lakeRoot,
    retry: { attempts: 3, firstDelayMs: 500 },
  };
}
