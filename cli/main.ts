import { Command, CommanderError } from 'commander';
import { VERSION } from '#shared/version.ts';
import { registerCampaignCommands } from './commands/campaign.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDownloadCommand } from './commands/download.ts';
import { registerQueryCommand } from './commands/query.ts';
import { registerReportCommand } from './commands/report.ts';
import { registerRunCommand } from './commands/run.ts';
import type { CliEnvironment } from './context.ts';
import { ExitCodeError, UsageError } from './errors.ts';
import { exitQuietlyOnBrokenPipe, processOutput } from './output.ts';

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

  registerCampaignCommands(program, environment);
  registerRunCommand(program, environment);
  registerDemoCommand(program, environment);
  registerDownloadCommand(program, environment);
  registerQueryCommand(program, environment);
  registerReportCommand(program, environment);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const debug = argv.includes('--debug');
    if (debug && error instanceof Error) output.err(error.stack ?? error.message);
    else output.err(`linkgap: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof ExitCodeError) return error.exitCode;
    return error instanceof UsageError ? 2 : 1;
  }
}

const isEntryPoint =
  process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntryPoint) {
  exitQuietlyOnBrokenPipe();
  process.exitCode = await main(process.argv.slice(2));
}
