// Promise 5: bad input is refused clearly. Broken campaign configs are rejected naming the field,
// malformed Moz responses become typed errors, and a hand-corrupted stored campaign fails only its
// own run.
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryQueue } from '#adapters/local/memory-queue.ts';
import { type CampaignInput, CampaignValidationError, parseCampaign } from '#domain/campaign.ts';
import { createMozClient } from '#moz/client.ts';
import { MozResponseFormatError, MozServerError } from '#moz/errors.ts';
import type { IntersectQuery } from '#moz/types.ts';
import { dispatchDue } from '#pipeline/dispatch.ts';
import { RunFailedError } from '#pipeline/run-campaign.ts';
import { aCampaignInput } from '#test/support/builders.ts';
import { type Harness, startHarness } from '#test/support/reliability-harness.ts';

// ---------------------------------------------------------------- broken campaign configs

type Broken = [description: string, config: unknown, field: string];

const input = aCampaignInput();
const withField = (overrides: Record<string, unknown>): unknown => ({ ...input, ...overrides });
const without = (field: keyof CampaignInput): unknown => {
  const copy: Record<string, unknown> = { ...input };
  delete copy[field];
  return copy;
};
const siteTarget = (target: unknown, scope: unknown = 'root_domain'): unknown =>
  withField({ site: [{ target, scope }] });
const competitors = (...targets: string[]) => targets.map((target) => ({ target, scope: 'root_domain' }));
const HUGE = 'a'.repeat(100_000);

const BROKEN_CONFIGS: Broken[] = [
  // wrong types and missing fields
  ['not an object (null)', null, '(campaign)'],
  ['not an object (array)', [input], '(campaign)'],
  ['not an object (string)', JSON.stringify(input), '(campaign)'],
  ['id missing', without('id'), 'id'],
  ['id a number', withField({ id: 42 }), 'id'],
  ['id upper case', withField({ id: 'Acme-Shoes' }), 'id'],
  ['id with a slash', withField({ id: 'acme/shoes' }), 'id'],
  ['id empty', withField({ id: '' }), 'id'],
  ['id 100 kB', withField({ id: HUGE }), 'id'],
  ['name blank', withField({ name: '   ' }), 'name'],
  ['name a number', withField({ name: 7 }), 'name'],
  ['site missing', without('site'), 'site'],
  ['site empty', withField({ site: [] }), 'site'],
  ['site a string', withField({ site: 'acme.example' }), 'site'],
  ['site target missing', withField({ site: [{ scope: 'root_domain' }] }), 'site[0].target'],
  ['competitors missing', without('competitors'), 'competitors'],
  ['competitors empty', withField({ competitors: [] }), 'competitors'],
  [
    'competitor target a number',
    withField({ competitors: [{ target: 1234, scope: 'root_domain' }] }),
    'competitors[0].target',
  ],
  // the 6-target rule and the site as its own competitor
  [
    '7 targets',
    withField({
      competitors: competitors(
        'r1.example',
        'r2.example',
        'r3.example',
        'r4.example',
        'r5.example',
        'r6.example',
      ),
    }),
    'competitors',
  ],
  ['site = competitor', withField({ competitors: competitors('acme.example') }), 'competitors[0].target'],
  [
    'site = competitor, spelled differently',
    withField({ competitors: competitors('rival-a.example', 'https://WWW.Acme.example/') }),
    'competitors[1].target',
  ],
  [
    'the same competitor twice',
    withField({ competitors: competitors('rival-a.example', 'rival-a.example') }),
    'competitors[1].target',
  ],
  // unicode and IDN that cannot be normalized
  ['IDN with invalid punycode', siteTarget('xn--a.example'), 'site[0].target'],
  ['IDN with an empty punycode label', siteTarget('xn--.example'), 'site[0].target'],
  ['zero-width joiner in a host', siteTarget('a\u200d.example'), 'site[0].target'],
  ['right-to-left override in a host', siteTarget('a\u202e.example'), 'site[0].target'],
  ['replacement character in a host', siteTarget('\ufffd.example'), 'site[0].target'],
  ['underscore in a host', siteTarget('a_b.example'), 'site[0].target'],
  ['non-ASCII path at root scope', siteTarget('bücher.example/ü'), 'site[0].target'],
  // URLs
  ['scheme and port', siteTarget('https://acme.example:8443'), 'site[0].target'],
  ['a bare port', siteTarget('acme.example:443'), 'site[0].target'],
  ['a path at root scope', siteTarget('https://acme.example/shoes'), 'site[0].target'],
  ['a query at subdomain scope', siteTarget('shop.acme.example?x=1', 'subdomain'), 'site[0].target'],
  ['a fragment', siteTarget('acme.example/page#top', 'page'), 'site[0].target'],
  ['a space inside', siteTarget('acme .example'), 'site[0].target'],
  ['an unsupported scheme', siteTarget('ftp://acme.example'), 'site[0].target'],
  ['credentials', siteTarget('user:pw@acme.example'), 'site[0].target'],
  ['an IP address', siteTarget('192.168.0.1'), 'site[0].target'],
  ['no dot', siteTarget('localhost'), 'site[0].target'],
  ['only a scheme', siteTarget('https://'), 'site[0].target'],
  ['an unknown target scope', siteTarget('acme.example', 'domain'), 'site[0].scope'],
  // empty, huge, control characters
  ['an empty target', siteTarget(''), 'site[0].target'],
  ['a 100 kB target', siteTarget(HUGE), 'site[0].target'],
  ['a NUL character', siteTarget('acme\u0000.example'), 'site[0].target'],
  ['a tab', siteTarget('acme\t.example'), 'site[0].target'],
  [
    'a line separator',
    withField({ competitors: competitors('rival\u2028.example') }),
    'competitors[0].target',
  ],
  ['an ignore entry with a newline', withField({ ignore: ['spam\n.example'] }), 'ignore[0]'],
  ['a 100 kB ignore entry', withField({ ignore: [HUGE] }), 'ignore[0]'],
  ['ignore not a list', withField({ ignore: 'spam.example' }), 'ignore'],
  // numbers, enums, schedules, budgets
  ['minMatchingTargets 0', withField({ minMatchingTargets: 0 }), 'minMatchingTargets'],
  ['minMatchingTargets fractional', withField({ minMatchingTargets: 1.5 }), 'minMatchingTargets'],
  [
    'minMatchingTargets above the competitor count',
    withField({ minMatchingTargets: 3 }),
    'minMatchingTargets',
  ],
  ['minMatchingTargets a string', withField({ minMatchingTargets: '2' }), 'minMatchingTargets'],
  ['sourceScope subdomain', withField({ sourceScope: 'subdomain' }), 'sourceScope'],
  ['an unknown sort', withField({ sort: 'random' }), 'sort'],
  ['a negative budget', withField({ maxRowsPerRun: -100 }), 'maxRowsPerRun'],
  ['a zero budget', withField({ maxRowsPerRun: 0 }), 'maxRowsPerRun'],
  ['a NaN budget', withField({ maxRowsPerRun: Number.NaN }), 'maxRowsPerRun'],
  ['an infinite budget', withField({ maxRowsPerRun: Number.POSITIVE_INFINITY }), 'maxRowsPerRun'],
  ['a budget as a string', withField({ maxRowsPerRun: '5000' }), 'maxRowsPerRun'],
  ['verifyDepartures as a string', withField({ verifyDepartures: 'yes' }), 'verifyDepartures'],
  ['enabled as a string', withField({ enabled: 'true' }), 'enabled'],
  ['a daily schedule', withField({ schedule: { every: 'day' } }), 'schedule.every'],
  ['a schedule as a string', withField({ schedule: 'monthly' }), 'schedule'],
  ['day 31 of the month', withField({ schedule: { every: 'month', day: 31 } }), 'schedule.day'],
  ['day 0 of the month', withField({ schedule: { every: 'month', day: 0 } }), 'schedule.day'],
  ['an unknown weekday', withField({ schedule: { every: 'week', weekday: 'funday' } }), 'schedule.weekday'],
  [
    'a monthly schedule with a weekday',
    withField({ schedule: { every: 'month', day: 1, weekday: 'monday' } }),
    'schedule.weekday',
  ],
  // unknown fields
  ['a misspelt field', withField({ competitor: competitors('rival-c.example') }), 'competitor'],
  [
    'an unknown field in a target',
    withField({ site: [{ target: 'acme.example', scope: 'root_domain', weight: 2 }] }),
    'site[0].weight',
  ],
];

describe('Promise 5: bad input is refused clearly', () => {
  describe('broken campaign configs', () => {
    it('the corpus has at least 40 cases', () => {
      expect(BROKEN_CONFIGS.length).toBeGreaterThanOrEqual(40);
    });

    it.each(BROKEN_CONFIGS.map(([name, config, field]) => ({ name, config, field })))(
      '$name: rejected naming $field',
      ({ config, field }) => {
        let thrown: unknown;
        try {
          parseCampaign(config);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(CampaignValidationError);
        const error = thrown as CampaignValidationError;
        expect(error.issues.map((issue) => issue.field)).toContain(field);
        expect(error.message).toContain(`${field}:`);
        // Clear, not a dump: a huge input is never echoed back whole.
        expect(error.message.length).toBeLessThan(2_000);
      },
    );

    it.each([
      ['an IDN', 'münchen.de', 'xn--mnchen-3ya.de'],
      ['full-width characters', 'ｅｘａｍｐｌｅ．ｃｏｍ', 'example.com'],
      ['a scheme, www and a trailing slash', 'https://WWW.Acme.example/', 'acme.example'],
      ['a trailing dot', 'acme.example.', 'acme.example'],
    ])('the corpus is not refusing everything: %s is normalized', (_description, target, normalized) => {
      expect(parseCampaign(siteTarget(target)).site[0]?.target).toBe(normalized);
    });

    it('any value at all is either a campaign or a CampaignValidationError, never another throw', () => {
      const fieldValue = fc.oneof(
        fc.anything(),
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.webUrl(),
        fc.domain(),
        fc.double(),
        fc.array(
          fc.record({ target: fc.oneof(fc.domain(), fc.string({ unit: 'binary' })), scope: fc.string() }),
        ),
      );
      const keys = Object.keys(input);
      const mutated = fc
        .tuple(fc.subarray(keys), fc.array(fieldValue, { minLength: keys.length, maxLength: keys.length }))
        .map(([broken, values]) => ({
          ...input,
          ...Object.fromEntries(broken.map((key, index) => [key, values[index]])),
        }));
      fc.assert(
        fc.property(fc.oneof(fc.anything(), mutated), (config) => {
          try {
            parseCampaign(config);
          } catch (error) {
            if (!(error instanceof CampaignValidationError)) throw error;
            expect(error.issues.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: 400 },
      );
    });
  });

  describe('malformed Moz responses become typed errors', () => {
    let server: Server;
    let baseUrl: string;
    let reply: { status: number; contentType: string; body: string } = {
      status: 200,
      contentType: 'application/json',
      body: '{}',
    };

    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(reply.status, { 'content-type': reply.contentType });
          res.end(reply.body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const client = () =>
      createMozClient({
        baseUrl,
        credentials: async () => ({ kind: 'token', token: 'stub-token-123456' }),
        maxAttempts: 2,
        sleep: async () => {},
      });
    const query: IntersectQuery = {
      positiveTargets: [{ target: 'rival-a.example', scope: 'root_domain' }],
      negativeTargets: [{ target: 'acme.example', scope: 'root_domain' }],
      sourceScope: 'root_domain',
    };
    const row = {
      page: 'blog.example',
      title: 'Blog',
      domain_authority: 40,
      spam_score: 1,
      matching_target_indexes: [0],
    };
    const json = (body: unknown) => ({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify(body),
    });
    const html = (status: number) => ({
      status,
      contentType: 'text/html',
      body: '<html><head><title>Oops</title></head><body>maintenance</body></html>',
    });

    it.each([
      ['results of the wrong type', json({ results: 'none' }), 'results'],
      [
        'a row with a wrong type',
        json({ results: [{ ...row, domain_authority: 'high' }] }),
        'results.0.domain_authority',
      ],
      ['a row without its source', json({ results: [{ ...row, page: undefined }] }), 'results.0'],
      ['a next_token of the wrong type', json({ results: [row], next_token: 42 }), 'next_token'],
      [
        'more rows than the limit',
        json({ results: Array.from({ length: 3 }, (_, i) => ({ ...row, page: `b${i}.example` })) }),
        '',
      ],
      ['an HTML page with HTTP 200', html(200), undefined],
      ['truncated JSON', { status: 200, contentType: 'application/json', body: '{"results": [' }, undefined],
    ] as const)('link_intersect: %s → MozResponseFormatError', async (_description, scripted, path) => {
      reply = scripted;
      const moz = client();
      try {
        const error = await moz.intersectPage(query, { limit: 2 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MozResponseFormatError);
        if (path !== undefined) expect((error as MozResponseFormatError).path ?? '').toContain(path);
        expect((error as Error).message).toMatch(/link_intersect/);
      } finally {
        await moz.close();
      }
    });

    it.each([
      ['exists of the wrong type', json({ exists: 'yes' }), 'exists'],
      ['exists missing', json({ found: [true] }), 'exists'],
      ['booleans as strings', json({ exists: ['true', 'false'] }), 'exists.0'],
      ['fewer answers than sources', json({ exists: [true] }), ''],
      ['an HTML page with HTTP 200', html(200), undefined],
    ] as const)('link_status: %s → MozResponseFormatError', async (_description, scripted, path) => {
      reply = scripted;
      const moz = client();
      try {
        const error = await moz
          .linkStatus({
            target: 'acme.example',
            targetScope: 'root_domain',
            sourceScope: 'root_domain',
            sources: ['a.example', 'b.example'],
          })
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MozResponseFormatError);
        if (path !== undefined) expect((error as MozResponseFormatError).path ?? '').toContain(path);
      } finally {
        await moz.close();
      }
    });

    it('an HTML error page with HTTP 502 → MozServerError quoting the page title', async () => {
      reply = html(502);
      const moz = client();
      try {
        const error = await moz.intersectPage(query, { limit: 2 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(MozServerError);
        expect((error as Error).message).toContain('Oops');
      } finally {
        await moz.close();
      }
    });

    it('through the pipeline: the run fails with a FAILED record of kind MozResponseFormatError', async () => {
      reply = json({ results: [{ ...row, matching_target_indexes: 'all' }] });
      const local = await startHarness({ universeSize: 1_000, client: { baseUrl, maxAttempts: 2 } });
      try {
        await local.putCampaign();
        const error = await local.run('2026-01-01').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(RunFailedError);
        expect((error as RunFailedError).kind).toBe('MozResponseFormatError');
        const record = await local.runs.get('acme-trail-shoes', '2026-01-01');
        expect(record?.status).toBe('FAILED');
        expect(record?.error?.message).toContain('matching_target_indexes');
      } finally {
        await local.close();
      }
    });
  });

  describe('a stored campaign corrupted by hand fails only its own run', () => {
    let local: Harness;
    const GOOD = ['good-one', 'good-two'];

    beforeAll(async () => {
      local = await startHarness({ universeSize: 2_000 });
    });
    afterAll(async () => {
      await local.close();
    });

    async function putGood() {
      for (const id of GOOD) await local.campaigns.put(parseCampaign(aCampaignInput({ id })));
    }

    const corruptions = [
      ['invalid JSON', '{ "id": "hand-edited", "site": [', /JSON/i],
      [
        'a wrong field',
        JSON.stringify({ ...aCampaignInput({ id: 'hand-edited' }), maxRowsPerRun: 'lots' }),
        /maxRowsPerRun/,
      ],
    ] as const;

    // The first case leaves hand-edited's 2026-02-01 run FAILED; the second one's later date is then
    // held back by it (runs commit in date order), and the catch-up fails on the new corruption.
    it.each(corruptions)(
      '%s, corrupted after dispatch: FAILED record naming the problem; the others commit',
      async (_what, text, problem) => {
        const runDate = _what === 'invalid JSON' ? '2026-02-01' : '2026-03-01';
        await putGood();
        await local.campaigns.put(parseCampaign(aCampaignInput({ id: 'hand-edited' })));
        const queue = createMemoryQueue();
        const dispatched = await dispatchDue(
          { today: runDate },
          { campaigns: local.campaigns, runs: local.runs, queue, log: local.log },
        );
        expect(dispatched.enqueued.map((message) => message.campaignId).sort()).toEqual([
          'good-one',
          'good-two',
          'hand-edited',
        ]);

        await writeFile(join(local.home, 'campaigns', 'hand-edited.json'), text);
        const outcomes = new Map<string, unknown>();
        for (const message of queue.drain()) {
          outcomes.set(
            message.campaignId,
            await local
              .run(message.runDate, { campaignId: message.campaignId })
              .catch((error: unknown) => error),
          );
        }
        for (const id of GOOD) expect(outcomes.get(id)).toMatchObject({ outcome: 'committed' });
        const failure = outcomes.get('hand-edited');
        expect(failure).toBeInstanceOf(RunFailedError);
        expect((failure as RunFailedError).kind).toBe('CampaignValidationError');
        expect((failure as RunFailedError).message).toMatch(problem);
        if (runDate !== '2026-02-01') {
          expect((failure as RunFailedError).message).toMatch(/held back: the earlier run of 2026-02-01/);
          expect(await local.runs.get('hand-edited', runDate)).toBeUndefined();
        }
        const record = await local.runs.get('hand-edited', '2026-02-01');
        expect(record?.status).toBe('FAILED');
        expect(record?.error?.message).toMatch(problem);
        expect(record?.error?.message).toContain('hand-edited');
      },
    );

    it.each(corruptions)(
      '%s, corrupted before dispatch: reported as invalid naming the problem; the others run',
      async (_what, text, problem) => {
        const runDate = _what === 'invalid JSON' ? '2026-04-01' : '2026-05-01';
        await putGood();
        await writeFile(join(local.home, 'campaigns', 'hand-edited.json'), text);
        const queue = createMemoryQueue();
        const dispatched = await dispatchDue(
          { today: runDate },
          { campaigns: local.campaigns, runs: local.runs, queue, log: local.log },
        );
        expect(dispatched.invalid).toHaveLength(1);
        expect(dispatched.invalid[0]?.campaignId).toBe('hand-edited');
        expect(dispatched.invalid[0]?.message).toMatch(problem);
        for (const message of queue.drain()) {
          expect(await local.run(message.runDate, { campaignId: message.campaignId })).toMatchObject({
            outcome: 'committed',
          });
        }
        for (const id of GOOD) expect((await local.runs.get(id, runDate))?.status).toBe('SUCCEEDED');
      },
    );
  });
});
