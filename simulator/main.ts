// CLI: tsx simulator/main.ts --port 8787 --token dev-token [--access-id X --secret-key Y]
//      [--seed S] [--rate REQ_PER_SEC] [--month YYYY-MM] [--universe N]
// Serves until SIGINT/SIGTERM, then closes cleanly.
import { parseArgs } from 'node:util';
import * as z from 'zod';
import { startSimulator } from './server.ts';

const argsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8787),
  token: z.string().min(1).default('dev-token'),
  'access-id': z.string().min(1).default('dev-access-id'),
  'secret-key': z.string().min(1).default('dev-secret-key'),
  seed: z.string().min(1).default('linkgap'),
  rate: z.coerce.number().positive().optional(),
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM')
    .default('2026-01'),
  universe: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      'access-id': { type: 'string' },
      'secret-key': { type: 'string' },
      seed: { type: 'string' },
      rate: { type: 'string' },
      month: { type: 'string' },
      universe: { type: 'string' },
    },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid arguments\n  ${problems.join('\n  ')}`);
  }
  const args = parsed.data;
  const simulator = await startSimulator({
    port: args.port,
    token: args.token,
    accessId: args['access-id'],
    secretKey: args['secret-key'],
    seed: args.seed,
    month: args.month,
    universeSize: args.universe,
    rateLimit: args.rate === undefined ? null : { requests: args.rate, perMs: 1000, burst: 1 },
  });
  console.log(`Moz simulator listening on ${simulator.baseUrl} (month ${simulator.month})`);
  const shutdown = (signal: string): void => {
    console.log(`Moz simulator: ${signal}, closing`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`moz simulator: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
