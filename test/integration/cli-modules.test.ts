import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS, requestedCommand } from '../../cli/main.ts';
import { CLI_BUILD_OPTIONS, ROOT } from '../../scripts/build-cli.ts';

/**
 * How the CLI's modules hang together, read from esbuild's own import graph: no cycles among cli/
 * files, and the heavy packages load only for the command that needs them.
 */
let inputs: Metafile['inputs'] = {};

beforeAll(async () => {
  const result = await build({ ...CLI_BUILD_OPTIONS, write: false, logLevel: 'silent' });
  inputs = result.metafile.inputs;
}, 60_000);

/** Every file `start` loads before it runs: static imports only, followed transitively. */
function staticClosure(start: string): string[] {
  const seen = new Set<string>();
  const pending = [start];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (seen.has(next)) continue;
    seen.add(next);
    for (const edge of inputs[next]?.imports ?? [])
      if (edge.kind === 'import-statement') pending.push(edge.path);
  }
  return [...seen];
}

/** Import cycles among cli/ files (static or dynamic edges), each as the list of files around it. */
function cliCycles(): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(file)), file]);
      return;
    }
    state.set(file, 'visiting');
    for (const edge of inputs[file]?.imports ?? [])
      if (edge.path.startsWith('cli/')) visit(edge.path, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of Object.keys(inputs)) if (file.startsWith('cli/')) visit(file, []);
  return cycles;
}

const HEAVY = /@aws-sdk|@smithy|@duckdb|undici|(^|\/)simulator\/|aws-cdk/;

describe('cli modules', () => {
  it('import each other without cycles', () => {
    expect(Object.keys(inputs).filter((file) => file.startsWith('cli/')).length).toBeGreaterThan(10);
    expect(cliCycles()).toEqual([]);
  });

  it('start `linkgap --help` with commander and the entry point only: no command module, nothing heavy', () => {
    const loaded = staticClosure('cli/bin.ts');
    expect(loaded).toContain('cli/main.ts');
    expect(loaded.filter((file) => file.startsWith('cli/commands/') || HEAVY.test(file))).toEqual([]);
    expect(loaded.filter((file) => /node_modules\/(?!commander\/)/.test(file))).toEqual([]);
  });

  it.each(COMMANDS.map((command) => command.name))(
    '%s loads neither the AWS SDK, DuckDB, undici nor the simulator before it needs them',
    (name) => {
      const loaded = staticClosure(`cli/commands/${name}.ts`);
      const heavy = loaded.filter((file) => HEAVY.test(file) && !(name === 'run' || name === 'demo'));
      expect(heavy).toEqual([]);
      // run and demo call Moz, so they load undici; the SDK, DuckDB and the simulator still wait.
      expect(loaded.filter((file) => /@aws-sdk|@duckdb|(^|\/)simulator\//.test(file))).toEqual([]);
    },
  );

  it('keep the simulator out of shared/: only the CLI and tests start it', async () => {
    const files = (await readdir(join(ROOT, 'shared'), { recursive: true })).filter((file) =>
      file.endsWith('.ts'),
    );
    const importing: string[] = [];
    for (const file of files) {
      const text = await readFile(join(ROOT, 'shared', file), 'utf8');
      if (/from ['"](#simulator\/|(\.\.\/)+simulator\/)/.test(text)) importing.push(file);
    }
    expect(importing).toEqual([]);
  });
});

describe('the lazy command table', () => {
  it.each(COMMANDS.map((command) => [command.name, command] as const))(
    '%s: --help shows the description the command registers itself',
    async (name, command) => {
      const program = new Command('linkgap');
      (await command.load())(program, { env: {}, output: { out() {}, err() {} } });
      expect(program.commands.map((registered) => registered.name())).toEqual([name]);
      expect(program.commands[0]?.description()).toBe(command.description);
    },
  );

  it.each<[string[], string | undefined]>([
    [['campaign', 'list'], 'campaign'],
    [['--debug', 'query', 'SELECT 1'], 'query'],
    [['help', 'download'], 'download'],
    [['help'], undefined],
    [['--help'], undefined],
    [['--version'], undefined],
    [[], undefined],
  ])('linkgap %j runs command %s', (argv, expected) => {
    expect(requestedCommand(argv)).toBe(expected);
  });
});
