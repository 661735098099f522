import type { Digest } from '#domain/digest.ts';
import type { DigestChannel } from '#shared/ports.ts';

/** A webhook refused or could not be reached. The message names the secret, never the URL (it is a credential). */
export class WebhookError extends Error {
  override name = 'WebhookError';
}

export interface WebhookChannelOptions {
  /** The URL, read when sending (from Secrets Manager in AWS, the environment locally). */
  url: () => Promise<string>;
  /** Names where the URL comes from, for errors: e.g. `secret linkgap/webhook/team`. */
  source: string;
  /** @default 10 s */
  timeoutMs?: number;
}

/**
 * The body a Slack-compatible incoming webhook accepts (Slack, Mattermost, Rocket.Chat, Teams workflows).
 * The text is Slack mrkdwn, where `<...>` is a control sequence (`<!channel>` pings everyone,
 * `<https://a|b>` shows a link under any label): sources, titles and campaign names come from the API or
 * a user, so the digest's plain text goes out with `& < >` escaped as Slack requires. The digest writes
 * no control sequence of its own; its report URL stays a bare link, which Slack links after decoding.
 */
export const webhookBody = (digest: Digest) => JSON.stringify({ text: asMrkdwnText(digest.text) });

/** Plain text as Slack mrkdwn showing exactly that text: the three characters Slack reserves, escaped. */
export function asMrkdwnText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * POSTs the digest to a Slack-compatible incoming webhook. Every failure becomes a WebhookError with
 * the HTTP status or the network error code only: undici's own errors may carry the URL, so they are
 * never passed on, not even as a cause.
 */
export function createWebhookChannel(options: WebhookChannelOptions): DigestChannel {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    name: 'webhook',
    async send(digest) {
      let url: URL;
      try {
        url = new URL((await options.url()).trim());
      } catch {
        throw new WebhookError(`the webhook URL in ${options.source} is not a URL`);
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw new WebhookError(`the webhook URL in ${options.source} must be http(s)`);
      let status: number;
      try {
        // undici loads with the first webhook digest, not at the runner's cold start.
        const { request } = await import('undici');
        const response = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: webhookBody(digest),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        status = response.statusCode;
        await response.body.dump();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new WebhookError(
          `the webhook in ${options.source} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`,
        );
      }
      if (status < 200 || status > 299)
        throw new WebhookError(`the webhook in ${options.source} answered HTTP ${status}`);
    },
  };
}
