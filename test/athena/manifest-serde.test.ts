/**
 * The run manifest through the SerDe the Glue `runs` table names (org.openx.data.jsonserde.JsonSerDe),
 * by its documented rules: Athena's OpenX JSON SerDe page and Trino's implementation of it
 * (trinodb/trino lib/trino-hive-formats/.../line/openxjson/README.md). That SerDe never fails on a
 * value it cannot read: it answers NULL. So each value must decode, under those rules, to the value
 * written, or a renamed or retyped field would turn into silent NULLs in Athena.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeManifest } from '#lake/manifest.ts';
import { RUN_COLUMNS } from '#lake/schema.ts';
import { FIXTURE_RUNS } from './fixture-lake.ts';
import { type GlueTable, queryableColumns, synthesizedGlueTables } from './support.ts';

const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;
/** The SerDe's text timestamp forms: ISO with Z or an offset, or 'yyyy-MM-dd HH:mm:ss[.f...]' (UTC here). */
const OPENX_TIMESTAMP = [
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/,
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[+-]\d{4}$/,
  /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/,
];

/** What the OpenX SerDe reads for one JSON value into a column of a Glue type (undefined: NULL). */
function openXRead(type: string, value: unknown): unknown {
  if (value === null) return undefined;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'int':
    case 'bigint': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return undefined;
      return type === 'int' && (value < INT32[0] || value > INT32[1]) ? undefined : value;
    }
    case 'double':
      return typeof value === 'number' ? value : undefined;
    case 'boolean':
      // true only for true/"true" (any case); anything else silently reads as false.
      return String(value).toLowerCase() === 'true';
    case 'timestamp': {
      if (typeof value !== 'string' || !OPENX_TIMESTAMP.some((form) => form.test(value))) return undefined;
      const text = value.includes('T') ? value : `${value.replace(' ', 'T')}Z`;
      return new Date(Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'))).toISOString();
    }
    default:
      throw new Error(`no OpenX rule for Glue type ${type}`);
  }
}

let runs: GlueTable;
beforeAll(() => {
  runs = synthesizedGlueTables().runs as GlueTable;
});

const manifests = FIXTURE_RUNS.flatMap((run) => (run.manifest ? [run.manifest] : []));

describe('run manifests through the OpenX JSON SerDe of the Glue runs table', () => {
  it('the Glue runs table reads JSON with the OpenX SerDe and fails loudly on malformed lines', () => {
    expect(runs.serializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(runs.serdeParameters['ignore.malformed.json']).toBe('FALSE');
  });

  it.each(manifests.map((manifest) => [manifest.run_id, manifest]))(
    'manifest %s is one JSON object on one line',
    (_id, manifest) => {
      const text = new TextDecoder().decode(encodeManifest(manifest));
      expect(text.endsWith('\n')).toBe(true);
      expect(text.slice(0, -1)).not.toMatch(/[\r\n]/);
      expect(text.trimStart().startsWith('{')).toBe(true);
    },
  );

  it.each(manifests.map((manifest) => [manifest.run_id, manifest]))(
    'manifest %s has exactly the Glue columns as keys: lower case, no dots, no case-insensitive twins',
    (_id, manifest) => {
      const record = JSON.parse(new TextDecoder().decode(encodeManifest(manifest))) as Record<
        string,
        unknown
      >;
      const keys = Object.keys(record);
      for (const key of keys) expect(key, key).toMatch(/^[a-z0-9_]+$/);
      expect(new Set(keys.map((key) => key.toLowerCase())).size).toBe(keys.length);
      expect(keys.sort()).toEqual(
        queryableColumns(runs)
          .map((column) => column.name)
          .sort(),
      );
    },
  );

  it.each(manifests.map((manifest) => [manifest.run_id, manifest]))(
    'manifest %s: every value reads back through the SerDe rules as written (no silent NULL)',
    (_id, manifest) => {
      const record = JSON.parse(new TextDecoder().decode(encodeManifest(manifest))) as Record<
        string,
        unknown
      >;
      const nullable = new Set<string>(
        RUN_COLUMNS.filter((column) => 'nullable' in column && column.nullable).map((column) => column.name),
      );
      for (const column of queryableColumns(runs)) {
        const written = (manifest as Record<string, unknown>)[column.name];
        const read = openXRead(column.type, record[column.name]);
        if (written === null) {
          expect(nullable.has(column.name), `${column.name} is null but not nullable`).toBe(true);
          expect(read, column.name).toBeUndefined();
        } else {
          expect(read, `${column.name} (${column.type}) from ${JSON.stringify(record[column.name])}`).toEqual(
            written,
          );
        }
      }
    },
  );

  it.each([
    ['a boolean written as a string', 'boolean', 'yes', false],
    ['an int with a fraction', 'int', 1.5, undefined],
    ['an int beyond INT32', 'int', 2 ** 31, undefined],
    ['an ISO timestamp without a zone', 'timestamp', '2025-01-01T06:00:00', undefined],
    ['a number for a string column', 'string', 12, '12'],
  ])('the rules themselves: %s reads as %s', (_case, type, value, expected) => {
    expect(openXRead(type, value)).toEqual(expected);
  });
});
