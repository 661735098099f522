/** What every command receives. Its own module, so commands and main.ts do not import each other. */
import type { Output } from './output.ts';

export interface CliEnvironment {
  env: Record<string, string | undefined>;
  output: Output;
}

/** What every command receives: the environment and where to print. */
export type CommandContext = CliEnvironment;
