import { Command, CommanderError } from 'commander';
import { VERSION } from '#shared/version.ts';
import type { CliEnvironment, CommandContext } from './context.ts';
import { ExitCodeError, UsageError } from './errors.ts';
import { humanOutput, processOutput } from './output.ts';

/** A top-level command: what `--help` lists, and the module that registers it in full. */
export interface LazyCommand {
  name: string;
  /** The summary `linkgap --help` prints; a test holds it equal to the command's own description. */
  description: string;
  load(): Promise<(program: Command, context: CommandContext) => void>;
}

/**
 * Every command, in `--help` order. Only the module of the command being run is imported, so
 * `linkgap --help` never loads DuckDB, the AWS SDK, the Moz client or the simulator.
 */
export const COMMANDS: readonly LazyCommand[] = [
  {
    name: 'campaign',
    description: 'add, update, list, show, enable, disable and remove campaigns (local, or --aws)',
    load: async () => (await import('./commands/campaign.ts')).registerCampaignCommands,
  },
  {
    name: 'run',
    description: 'run the campaigns that are due (or one campaign) against Moz or the embedded simulator',
    load: async () => (await import('./commands/run.ts')).registerRunCommand,
  },
  {
    name: 'demo',
    description: 'replay months of gap tracking for an example campaign against the embedded Moz simulator',
    load: async () => (await import('./commands/demo.ts')).registerDemoCommand,
  },
  {
    name: 'download',
    description: 'copy committed snapshots of a campaign out of the lake (local, or S3 with --aws)',
    load: async () => (await import('./commands/download.ts')).registerDownloadCommand,
  },
  {
    name: 'query',
    description:
      'run SQL over the views prospects, changes, runs and reviews (local DuckDB, or Athena with --aws --athena)',
    load: async () => (await import('./commands/query.ts')).registerQueryCommand,
  },
  {
    name: 'report',
    description:
      'write a self-contained HTML report of a campaign: gap, changes, closure rate, top prospects, Moz rows',
    load: async () => (await import('./commands/report.ts')).registerReportCommand,
  },
  {
    name: 'review',
    description:
      'the outreach review queue: export it as CSV, import the edited file, or set one review (local, or --aws)',
    load: async () => (await import('./commands/review.ts')).registerReviewCommands,
  },
  {
    name: 'prospect',
    description:
      "show one prospect's whole story: every run that listed it, every change, every review event",
    load: async () => (await import('./commands/prospect.ts')).registerProspectCommand,
  },
  {
    name: 'athena',
    description: 'Athena helpers for lakes outside the CDK stack',
    load: async () => (await import('./commands/athena.ts')).registerAthenaCommands,
  },
];

/** The command the arguments name (`linkgap help <command>` names one too); top-level flags take no value. */
export function requestedCommand(argv: readonly string[]): string | undefined {
  const words = argv.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

/** Runs the `linkgap` command line; returns the exit code. Errors are one line unless --debug. */
export async function main(
  argv: readonly string[],
  environment: CliEnvironment = { env: process.env, output: processOutput },
): Promise<number> {
  const { output } = environment;
  const program = new Command('linkgap')
    .description('Which sites link to your competitors but not to you, and which gaps did you close?')
    .version(VERSION)
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeOut: (text) => output.out(text), writeErr: (text) => output.err(text) });

  try {
    const requested = requestedCommand(argv);
    for (const command of COMMANDS) {
      if (command.name === requested) (await command.load())(program, environment);
      else program.command(command.name).description(command.description);
    }
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    // Commander's own usage errors (unknown option, missing argument) exit 1; linkgap's usage code is 2.
    if (error instanceof CommanderError) return error.exitCode === 1 ? 2 : error.exitCode;
    const debug = argv.includes('--debug');
    // Error text can carry API text: printed for people, so made printable.
    const human = humanOutput(output);
    if (debug && error instanceof Error) human.err(error.stack ?? error.message);
    else human.err(`linkgap: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof ExitCodeError) return error.exitCode;
    return error instanceof UsageError ? 2 : 1;
  }
}
