import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCampaign } from '#domain/campaign.ts';
import { isLazySchema } from '#domain/lazy-schema.ts';
import { mozOnDemand } from '../../functions/runner/deps.ts';
import { bundleLambda } from '../../scripts/bundle-lambda.ts';
import { aCampaignInput } from '../support/builders.ts';

/**
 * What a Lambda cold start loads (issue 14, cold start): the code that only some invocations or a
 * late step of a run need sits in chunks loaded on demand, and undici comes without HTTP/2. Read from
 * the bundles the CDK construct deploys (scripts/bundle-lambda.ts) and from a fresh `node` importing
 * them, so a new static import that drags one of these back into the cold start fails here.
 */
const run$ = promisify(execFile);
let dir = '';
const built = new Map<string, { metafile: Metafile; entry: string }>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'linkgap-cold-start-'));
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  for (const name of ['runner', 'dispatcher']) {
    const outdir = join(dir, name);
    const metafile = await bundleLambda(`functions/${name}/handler.ts`, outdir);
    built.set(name, { metafile, entry: join(outdir, 'index.mjs') });
  }
  const outdir = join(dir, 'campaign');
  const metafile = await bundleLambda('shared/domain/campaign.ts', outdir);
  built.set('campaign', { metafile, entry: join(outdir, 'index.mjs') });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The source files in the entry chunk and every chunk it imports statically, and in all chunks. */
function sources(name: string): { atInit: string[]; bundled: string[] } {
  const { metafile } = built.get(name) ?? {};
  if (!metafile) throw new Error(`${name} was not built`);
  const outputs = metafile.outputs;
  const loaded = new Set<string>();
  const visit = (path: string) => {
    if (loaded.has(path)) return;
    loaded.add(path);
    for (const edge of outputs[path]?.imports ?? [])
      if (edge.kind === 'import-statement' && outputs[edge.path]) visit(edge.path);
  };
  visit(Object.keys(outputs).find((path) => path.endsWith('index.mjs')) ?? '');
  // An input esbuild kept no code of (a re-export-only index) is not loaded in any real sense.
  const inputsOf = (paths: Iterable<string>) =>
    [...paths].flatMap((path) =>
      Object.entries(outputs[path]?.inputs ?? {})
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([file]) => file),
    );
  return { atInit: inputsOf(loaded), bundled: inputsOf(Object.keys(outputs)) };
}

const matching = (files: string[], pattern: RegExp) => files.filter((file) => pattern.test(file));

describe('the runner cold start', () => {
  // Each is bundled (a run needs it) but loaded when a run first gets to it, not at init.
  const lazy: [string, RegExp][] = [
    ['the Parquet writer and reader', /node_modules\/hyparquet(-writer)?\//],
    [
      'publishing: report, digest, SNS',
      /shared\/pipeline\/publish\.ts|shared\/report\/|@aws-sdk\/client-sns\//,
    ],
    ['verification of departures', /shared\/pipeline\/verify\.ts/],
    ['the Moz client and undici', /shared\/moz\/(client|call|http)\.ts|undici/],
  ];
  it.each(lazy)('loads %s on demand', (_what, pattern) => {
    const { atInit, bundled } = sources('runner');
    expect(matching(bundled, pattern)).not.toEqual([]);
    expect(matching(atInit, pattern)).toEqual([]);
  });
});

it('the dispatcher, which publishes no metrics, bundles no Powertools Metrics', () => {
  const { bundled } = sources('dispatcher');
  expect(matching(bundled, /@aws-lambda-powertools\/logger\//)).not.toEqual([]);
  expect(matching(bundled, /@aws-lambda-powertools\/metrics\//)).toEqual([]);
});

describe.each(['runner', 'dispatcher'])('the %s bundle at init', (name) => {
  it('loads no HTTP/2 (undici runs HTTP/1.1 only, the SDK does not need it)', async () => {
    const entry = built.get(name)?.entry ?? '';
    const script = `await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(JSON.stringify(process.moduleLoadList));`;
    const { stdout } = await run$(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_NO_WARNINGS: '1' },
    });
    const builtIns = JSON.parse(stdout) as string[];
    expect(builtIns).toContain('NativeModule https');
    expect(builtIns.filter((module) => /http2/.test(module))).toEqual([]);
  });
});

it('zod as bundled (no z.compile, no z.fromJSONSchema) validates and normalizes a campaign the same', async () => {
  type CampaignModule = typeof import('#domain/campaign.ts');
  const entry = pathToFileURL(built.get('campaign')?.entry ?? '').href;
  const bundled = (await import(entry)) as CampaignModule;
  const valid = aCampaignInput({
    site: [{ target: 'https://WWW.Acme.co.uk/', scope: 'root_domain' }],
    competitors: [{ target: 'blog.rival.example/shoes?x=1', scope: 'page' }],
  });
  expect(bundled.parseCampaign(valid)).toEqual(parseCampaign(valid));
  expect(bundled.parseCampaign(valid).site[0]?.target).toBe('acme.co.uk');
  const invalid = { ...valid, maxRowsPerRun: -1, surprise: true };
  const issues = (parse: (input: unknown) => unknown) => {
    try {
      parse(invalid);
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    return undefined;
  };
  expect(issues(bundled.parseCampaign)).toEqual(issues(parseCampaign));
  expect(issues(bundled.parseCampaign)?.name).toBe('CampaignValidationError');
});

it('the runner builds its Moz client on the first Moz call, once', async () => {
  const calls: string[] = [];
  let builds = 0;
  const moz = mozOnDemand(async () => {
    builds++;
    return {
      intersectPage: async (query) => {
        calls.push(`intersect ${query.sourceScope}`);
        return {} as never;
      },
      linkStatus: async (request) => {
        calls.push(`status ${request.sources.length}`);
        return {} as never;
      },
    };
  });
  expect(builds).toBe(0);
  const query = { sourceScope: 'root_domain' } as never;
  await Promise.all([
    moz.intersectPage(query, { limit: 1 }),
    moz.linkStatus({ sources: ['a.example'] } as never),
  ]);
  await moz.intersectPage(query, { limit: 1 });
  expect(builds).toBe(1);
  expect(calls).toEqual(['intersect root_domain', 'status 1', 'intersect root_domain']);
});

describe('zod schemas only some invocations parse are built on first use, not at init', () => {
  // Each export is a lazySchema (shared/lazy-schema.ts); making one eager again fails here.
  it.each([
    ['#moz/config.ts', ['MozEnv']],
    ['#adapters/aws/config.ts', ['AwsEnv']],
    ['#pipeline/checkpoints.ts', ['PageCheckpoint', 'VerifyCheckpoint']],
    ['#domain/review.ts', ['ReviewEventSchema', 'ReviewSchema']],
    ['#domain/ledger.ts', ['LedgerStatusSchema', 'LedgerEntrySchema', 'LedgerSchema']],
    ['#lake/manifest.ts', ['RunManifestSchema']],
  ])('%s: %j', async (module, names) => {
    const exports = (await import(module)) as Record<string, unknown>;
    for (const name of names) expect([name, isLazySchema(exports[name])]).toEqual([name, true]);
  });

  it.each(['runner', 'dispatcher'])('importing the %s handler builds none of them', async (name) => {
    vi.resetModules();
    await import(`../../functions/${name}/handler.ts`);
    const { lazySchemaBuilds } = await import('#domain/lazy-schema.ts');
    expect(lazySchemaBuilds()).toBe(0);
  });
});
