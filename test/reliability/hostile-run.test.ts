// `linkgap run` against a hostile Moz: cursors that never end or loop stop the run with a clear
// error after the pages really returned (and a rerun pays for none of them again); rows outside the
// lake contract never reach the lake; API text reaches the terminal escaped.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileCampaignStore, createFileRunStore } from '#adapters/local/file-stores.ts';
import { createFsObjectStore } from '#adapters/local/fs-object-store.ts';
import { parseCampaign } from '#domain/campaign.ts';
import { aCampaignInput } from '#test/support/builders.ts';
import { linkgap, tempDir } from '#test/support/cli.ts';
import {
  type HostileMode,
  type HostileMoz,
  OUT_OF_RANGE_ROWS,
  startHostileMoz,
} from '#test/support/hostile-moz.ts';
import { readLake } from '#test/support/reliability-harness.ts';

const ID = 'hostile';
const TOKEN = 'hostile-run-token-31f0';
let moz: HostileMoz;
let dir: { path: string; remove(): void };

beforeAll(async () => {
  moz = await startHostileMoz({ kind: 'repeating-token' });
});
afterAll(async () => {
  await moz.close();
});
afterEach(() => dir?.remove());

async function runAgainst(mode: HostileMode, maxRowsPerRun = 1_000) {
  moz.setMode(mode);
  dir = tempDir('hostile');
  await createFileCampaignStore(dir.path).put(parseCampaign(aCampaignInput({ id: ID, maxRowsPerRun })));
  const env = {
    LINKGAP_HOME: dir.path,
    MOZ_API_BASE_URL: moz.baseUrl,
    MOZ_TOKEN: TOKEN,
    MOZ_INTERVAL_MS: '0',
    MOZ_MAX_ATTEMPTS: '2',
  };
  const intersectRequests = () =>
    moz.requests.filter((request) => request.path === '/v2/link_intersect').length;
  const before = intersectRequests();
  const first = await linkgap(['run', '--campaign', ID, '--as-of', '2026-11-05'], env);
  const firstRequests = intersectRequests() - before;
  const again = await linkgap(['run', '--campaign', ID, '--as-of', '2026-11-05'], env);
  return { first, again, firstRequests, rerunRequests: intersectRequests() - before - firstRequests };
}

describe('linkgap run against a hostile Moz', () => {
  it.each([
    [{ kind: 'repeating-token' } as const, 2, /already returned/],
    [{ kind: 'token-cycle', length: 3 } as const, 4, /already returned/],
    [{ kind: 'endless-pages', rowsPerPage: 0 } as const, 3, /empty pages in a row/],
  ])(
    '%o: stops after %i pages with one clear error; a rerun asks for no page again',
    async (mode, pages, why) => {
      const { first, again, firstRequests, rerunRequests } = await runAgainst(mode);
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(why);
      expect(firstRequests).toBe(pages);
      expect(again.code).toBe(1);
      expect(again.stdout).toMatch(why);
      expect(rerunRequests).toBe(0);
      expect((await createFileRunStore(dir.path).get(ID, '2026-11-01'))?.status).toBe('FAILED');
    },
  );

  it('endless pages of fresh rows stop at the budget, never past it, and say truncated', async () => {
    const { first, firstRequests } = await runAgainst({ kind: 'endless-pages', rowsPerPage: 1 }, 250);
    expect(first.code, first.stderr).toBe(0);
    expect(firstRequests).toBe(50); // 250 rows of budget at 5 rows per intersect row
    const [manifest] = Object.values((await readLake(createFsObjectStore(`${dir.path}/lake`))).manifests);
    expect(manifest).toMatchObject({ truncated: true, rows_consumed: 250, gap_size: 50 });
  });

  it('rows outside the lake contract are dropped: the run commits the good rows only, and says how many', async () => {
    const { first } = await runAgainst({ kind: 'out-of-range-rows' });
    expect(first.code, first.stderr).toBe(0);
    // Counted where a user looks: the run's summary (table and a line on stderr) and its run record.
    const [header, , row] = first.stdout.split('\n');
    const dropped = header?.split(/\s+/).indexOf('dropped') ?? -1;
    expect(dropped, first.stdout).toBeGreaterThan(0);
    expect(row?.trim().split(/\s+/)[dropped]).toBe(String(OUT_OF_RANGE_ROWS.length));
    expect(first.stderr).toContain(
      `${ID} 2026-11-01: ${OUT_OF_RANGE_ROWS.length} rows Moz returned were outside the lake contract and dropped`,
    );
    const record = await createFileRunStore(dir.path).get(ID, '2026-11-01');
    expect(record?.summary?.droppedRows).toBe(OUT_OF_RANGE_ROWS.length);
    const lake = await readLake(createFsObjectStore(`${dir.path}/lake`));
    const rows = Object.values(lake.prospects).flat();
    expect(rows.map((row) => row.source).sort()).toEqual(['good-one.example', 'good-two.example']);
    expect(JSON.stringify(lake.prospects)).not.toMatch(/HYPERLINK|javascript:|<script>/);
    for (const row of rows) {
      expect(
        Number.isInteger(row.domain_authority) && row.domain_authority >= 1 && row.domain_authority <= 100,
      ).toBe(true);
    }
  });

  it.each(['errors', 'rows'] as const)(
    'escape sequences in API %s never reach the terminal raw',
    async (where) => {
      const { first } = await runAgainst({ kind: 'control-characters', in: where });
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the point of the test
      expect(`${first.stdout}${first.stderr}`).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    },
  );
});
