import type { Command } from 'commander';
import { AthenaDdlError, athenaDdl } from '#lake/athena-ddl.ts';
import type { CommandContext } from '../context.ts';
import { UsageError } from '../errors.ts';

interface DdlOptions {
  bucket?: string;
  database: string;
}

/** `linkgap athena ddl`: the Glue tables as Athena DDL, for lakes set up without the CDK stack. */
export function registerAthenaCommands(program: Command, context: CommandContext): void {
  const athena = program.command('athena').description('Athena helpers for lakes outside the CDK stack');
  athena
    .command('ddl')
    .description(
      'print CREATE EXTERNAL TABLE statements (partition projection) for every lake table: prospects, changes, runs and reviews',
    )
    .option('--bucket <name>', 'S3 bucket holding the lake (default: $LINKGAP_BUCKET)')
    .option('--database <name>', 'Glue database to create the tables in', 'linkgap')
    .action((options: DdlOptions) => {
      const bucket = options.bucket ?? context.env.LINKGAP_BUCKET;
      if (bucket === undefined || bucket === '')
        throw new UsageError('--bucket (or $LINKGAP_BUCKET) is required');
      try {
        context.output.out(athenaDdl(bucket, options.database));
      } catch (error) {
        if (error instanceof AthenaDdlError) throw new UsageError(error.message);
        throw error;
      }
    });
}
