import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Log, LogFields, Metrics } from './ports.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * The one observability module: the Log and Metrics ports over structured JSON lines (the CLI), over
 * Powertools Logger and Metrics (the Lambdas, which build those from the environment), in memory
 * (tests) or silent. Campaign and run ids are keys on every entry (withFields).
 */

/** Structured JSON logs, one object per line. */
export function createJsonLog(options: {
  level?: Level;
  write?: (line: string) => void;
  base?: LogFields;
  now?: () => Date;
}): Log & { child(fields: LogFields): Log } {
  const threshold = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: Level, message: string, fields?: LogFields) => {
    if (ORDER[level] < threshold) return;
    write(
      JSON.stringify(
        { level, time: now().toISOString(), message, ...options.base, ...fields },
        errorReplacer,
      ),
    );
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createJsonLog({ ...options, base: { ...options.base, ...fields } }),
  };
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** Adds fixed fields (campaign id, run id) to every entry. */
export function withFields(log: Log, fields: LogFields): Log {
  return {
    debug: (message, extra) => log.debug(message, { ...fields, ...extra }),
    info: (message, extra) => log.info(message, { ...fields, ...extra }),
    warn: (message, extra) => log.warn(message, { ...fields, ...extra }),
    error: (message, extra) => log.error(message, { ...fields, ...extra }),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

/** Metrics collected in memory (tests, the CLI's summary). */
export function createMemoryMetrics(): Metrics & { readonly values: Map<string, number> } {
  const values = new Map<string, number>();
  return {
    values,
    count(name, value) {
      values.set(name, (values.get(name) ?? 0) + value);
    },
  };
}

/** The Log port over Powertools Logger: structured JSON, with the Lambda context the handler adds. */
export function powertoolsLog(logger: Logger): Log {
  return {
    debug: (message, fields) => logger.debug(message, { ...fields }),
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
  };
}

/** The Metrics port over Powertools Metrics: EMF lines CloudWatch turns into metrics. */
export function powertoolsMetrics(metrics: PowertoolsMetrics): Metrics {
  return {
    // The port's units are Powertools' own unit strings ('Count', 'Milliseconds', 'None').
    count: (name, value, unit = 'Count') => metrics.addMetric(name, unit, value),
  };
}
