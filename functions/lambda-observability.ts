import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { powertoolsLog, powertoolsMetrics } from '#shared/observability.ts';
import type { Log, Metrics as MetricsPort } from '#shared/ports.ts';

export interface LambdaObservability {
  log: Log;
  metrics: MetricsPort;
  /** Adds the invocation's request id, function name and cold-start flag to every log entry. */
  addContext(context: object): void;
  /** Publishes the EMF metrics of an invocation. */
  flush(): void;
}

/**
 * A Powertools logger alone, for a function that publishes no metrics (the dispatcher): the metrics
 * package then stays out of its bundle.
 */
export function lambdaLog(env: Record<string, string | undefined>, fallbackService: string): Log {
  return powertoolsLog(new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME || fallbackService }));
}

/**
 * Powertools configured from the environment the stack sets (POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL); `fallbackService` only names a function run
 * without them (tests, a laptop).
 */
export function lambdaObservability(
  env: Record<string, string | undefined>,
  fallbackService: string,
): LambdaObservability {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || fallbackService;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace: env.POWERTOOLS_METRICS_NAMESPACE || 'Linkgap' });
  return {
    log: powertoolsLog(logger),
    metrics: powertoolsMetrics(metrics),
    addContext: (context) => logger.addContext(context as Parameters<Logger['addContext']>[0]),
    flush: () => metrics.publishStoredMetrics(),
  };
}
