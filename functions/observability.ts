import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { Log, Metrics } from '#shared/ports.ts';

/** The Log port over Powertools Logger: structured JSON with campaign and run ids as keys. */
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
    count(name, value, unit = 'Count') {
      metrics.addMetric(
        name,
        unit === 'Milliseconds'
          ? MetricUnit.Milliseconds
          : unit === 'None'
            ? MetricUnit.NoUnit
            : MetricUnit.Count,
        value,
      );
    },
  };
}
