/**
 * The Slack-compatible webhook channel against a local HTTP server. The URL is a credential (it
 * carries the token), so it must never reach a log line or an error, whatever the server does.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsPublishPorts } from '#adapters/aws/digest-publish.ts';
import { createWebhookChannel, WebhookError } from '#adapters/webhook-channel.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { buildDigest, type Digest } from '#domain/digest.ts';
import type { ProspectRow } from '#domain/lake-contract.ts';
import { aCampaign } from '#test/support/builders.ts';
import { describeAws, stubAwsEnv, useMoto } from '#test/support/moto.ts';

const TOKEN_PATH = '/services/T000/B000/very-secret-token-xyz';
let server: Server;
let base: string;
let answer = 200;
const received: { path: string; contentType: string; body: unknown }[] = [];

const MANIFEST = {
  run_id: 'run-1',
  campaign_id: 'hooked',
  run_date: '2026-05-01',
  config_hash: 'h',
  previous_run_id: 'run-0',
  baseline: false,
  status: 'SUCCEEDED',
  truncated: false,
  pages: 2,
  requests: 2,
  retries: 0,
  rows_consumed: 500,
  rows_consumed_intersect: 500,
  rows_consumed_link_status: 0,
  rows_possibly_metered_on_failures: 0,
  max_rows_per_run: 5000,
  gap_size: 90,
  new_count: 5,
  persisting_count: 85,
  reopened_count: 0,
  closed_count: 3,
  lost_count: 2,
  unverified_count: 0,
  previous_gap_size: 90,
  closure_rate: 3 / 90,
  started_at: '2026-05-01T06:00:00.000Z',
  finished_at: '2026-05-01T06:10:00.000Z',
  moz_base_url: 'https://lsapi.seomoz.com',
  software_version: 'test',
} as const;
const digest: Digest = buildDigest({ manifest: MANIFEST, prospects: [], firstRun: false });

const hostileProspect = (source: string, score: number): ProspectRow => ({
  campaign_id: 'hooked',
  run_id: 'run-1',
  run_date: '2026-05-01',
  source,
  source_root_domain: source.split('/')[0] ?? source,
  title: '<!here> title',
  domain_authority: 50,
  page_authority: null,
  spam_score: null,
  matched_targets: ['rival-a.example'],
  matched_count: 1,
  score,
  status: 'new',
  first_seen_date: '2026-05-01',
  runs_seen: 1,
  review_state: 'to_review',
  category: null,
});

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body: JSON.parse(body || 'null'),
      });
      response.statusCode = answer;
      response.end(answer === 200 ? 'ok' : `invalid_token ${TOKEN_PATH}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('webhook digest', () => {
  it('POSTs the digest as Slack-compatible JSON to the URL', async () => {
    answer = 200;
    const channel = createWebhookChannel({ url: async () => `${base}${TOKEN_PATH}`, source: 'test secret' });
    await channel.send(digest);
    expect(received.at(-1)).toEqual({
      path: TOKEN_PATH,
      contentType: 'application/json',
      body: { text: digest.text },
    });
  });

  it('escapes & < > from sources and the campaign name, so nothing pings the channel or disguises a link', async () => {
    answer = 200;
    const reportUrl = 'https://lake.example/report.html?X-Amz-Credential=a&X-Amz-Signature=b';
    const hostile = buildDigest({
      manifest: MANIFEST,
      campaignName: 'Hostile </script><b>x</b> & co',
      prospects: [
        hostileProspect('x.example/<!channel>', 9),
        hostileProspect('y.example/<https://phish.example|Claim-your-backlink>', 8),
      ],
      reportLink: { href: reportUrl },
      firstRun: false,
    });
    const channel = createWebhookChannel({ url: async () => `${base}${TOKEN_PATH}`, source: 'test secret' });
    await channel.send(hostile);
    const { text } = (received.at(-1)?.body ?? {}) as { text: string };
    expect(text).toContain('x.example/&lt;!channel&gt;');
    expect(text).toContain('y.example/&lt;https://phish.example|Claim-your-backlink&gt;');
    expect(text).toContain('Hostile &lt;/script&gt;&lt;b&gt;x&lt;/b&gt; &amp; co');
    // No control sequence at all: every < in the text is escaped.
    expect(text).not.toMatch(/[<>]/);
    // Slack decodes the three entities back to the plain digest, so the report URL is still a link.
    const decoded = text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
    expect(decoded).toBe(hostile.text);
    expect(text).toContain('https://lake.example/report.html?X-Amz-Credential=a&amp;X-Amz-Signature=b');
  });

  it.each([
    ['a refusal', 500, () => `${base}${TOKEN_PATH}`, /answered HTTP 500/],
    [
      'an unreachable host',
      0,
      () => `http://127.0.0.1:1${TOKEN_PATH}`,
      /could not be reached \(ECONNREFUSED\)/,
    ],
    ['a malformed URL', 0, () => `not a url ${TOKEN_PATH}`, /is not a URL/],
  ])('%s fails with the secret named and the URL nowhere', async (_case, status, url, message) => {
    answer = status || 200;
    const channel = createWebhookChannel({ url: async () => url(), source: 'secret linkgap/webhook/team' });
    const error = await channel.send(digest).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(WebhookError);
    const everything =
      JSON.stringify(error, Object.getOwnPropertyNames(error)) + String((error as Error).stack);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain('secret linkgap/webhook/team');
    expect(everything).not.toContain('very-secret-token');
    expect((error as Error).cause).toBeUndefined();
  });
});

const moto = useMoto();
describeAws('a campaign naming its webhook secret (Secrets Manager on moto)', () => {
  it('reads the URL from the secret and sends the digest there; a refusal names the secret only', async () => {
    stubAwsEnv(moto);
    const secrets = new SecretsManagerClient({});
    const secretId = `linkgap/webhook/team-${Date.now()}`;
    await secrets.send(
      new CreateSecretCommand({
        Name: secretId,
        SecretString: JSON.stringify({ url: `${base}${TOKEN_PATH}` }),
      }),
    );
    const ports = awsPublishPorts({
      doc: {} as never,
      tableName: 't',
      s3: {} as never,
      bucket: 'b',
      sns: {} as never,
      secrets,
    });
    const campaign = parseCampaign(aCampaign({ id: 'hooked', digestWebhookSecret: secretId }));
    const channels = ports.channelsFor(campaign);
    expect(channels.map((channel) => channel.name)).toEqual(['webhook']);
    expect(ports.channelsFor(parseCampaign(aCampaign({ id: 'plain' })))).toEqual([]);
    answer = 200;
    const before = received.length;
    await channels[0]?.send(digest);
    expect(received.slice(before)).toEqual([expect.objectContaining({ path: TOKEN_PATH })]);

    // publish.ts logs only an error's name and message: the message names the secret, not the URL.
    answer = 403;
    const error = await channels[0]?.send(digest).catch((thrown: Error) => thrown);
    expect(String((error as Error).message)).toMatch(/secret linkgap\/webhook\/team-\d+ answered HTTP 403/);
    expect(String((error as Error).message)).not.toContain('very-secret-token');
    secrets.destroy();
  });
});
