// The layout rules of DESIGN.md section 2, read from esbuild's own import graph of every product
// entry point (the CLI, both Lambdas, the CDK app, the simulator): no import cycles among product
// files, nothing in shared/ depends on the simulator, the CLI or infra, and the domain imports only
// the domain.
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const ENTRY_POINTS = [
  'cli/bin.ts',
  'functions/runner/handler.ts',
  'functions/dispatcher/handler.ts',
  'infra/app.ts',
  'simulator/main.ts',
];
let graph = new Map<string, string[]>();

beforeAll(async () => {
  const result = await build({
    entryPoints: ENTRY_POINTS,
    bundle: true,
    write: false,
    metafile: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    outdir: 'unused',
    packages: 'external',
    logLevel: 'silent',
  });
  const inputs: Metafile['inputs'] = result.metafile.inputs;
  graph = new Map(
    Object.entries(inputs).map(([file, input]) => [
      file,
      input.imports.map((edge) => edge.path).filter((path) => path in inputs),
    ]),
  );
}, 60_000);

function cycles(): string[] {
  const found: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      found.push([...path.slice(path.indexOf(file)), file].join(' -> '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of graph.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  return found;
}

const importsOf = (prefix: string) =>
  [...graph.entries()]
    .filter(([file]) => file.startsWith(prefix))
    .flatMap(([file, imports]) => imports.map((target) => `${file} -> ${target}`));

describe('the product layout (DESIGN.md section 2)', () => {
  it('has no import cycle among product files', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(cycles()).toEqual([]);
  });

  it('keeps shared/ free of the simulator, the CLI, the functions and infra', () => {
    expect(importsOf('shared/').filter((edge) => /-> (simulator|cli|functions|infra)\//.test(edge))).toEqual(
      [],
    );
  });

  it('keeps the domain to itself', () => {
    expect(importsOf('shared/domain/').filter((edge) => !/-> shared\/domain\//.test(edge))).toEqual([]);
  });

  it('keeps the pipeline on ports: no adapter, no SDK', () => {
    expect(importsOf('shared/pipeline/').filter((edge) => /-> shared\/adapters\//.test(edge))).toEqual([]);
  });
});
