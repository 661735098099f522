/**
 * Checks for command-line values shared by several commands. Every mistake is a UsageError (exit 2)
 * that names the option or argument, as the README promises.
 */
import { type Command, CommanderError } from 'commander';
import { CampaignSchema } from '#domain/campaign.ts';
import { UsageError } from './errors.ts';

/**
 * Makes commander's own usage errors (unknown option, missing argument, a command without its
 * subcommand) exit 2 like ours; commander uses 1, which the README reserves for failed runs.
 * Subcommands created after this call inherit it.
 */
export function exitTwoOnUsageErrors(command: Command): Command {
  return command.exitOverride((error) => {
    if (error.exitCode === 1) throw new CommanderError(2, error.code, error.message);
    throw error;
  });
}

/** A campaign id argument, checked before it reaches a store (where `../x` would be a path). */
export function campaignIdArgument(id: string, name = 'campaign id'): string {
  if (!CampaignSchema.shape.id.safeParse(id).success) {
    throw new UsageError(
      `${JSON.stringify(id.slice(0, 80))} is not a ${name} (1-64 lower-case letters, digits or dashes)`,
    );
  }
  return id;
}
