import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ApiHandler } from './create-handler';
import type { Logger } from './http';
import { type RecordRequest, STORE_THROTTLES_METRIC } from './request-metrics';

/** The Lambda's logger and metrics, and the wrapper that gives them each invocation's context. */
export interface LambdaObservability {
  /** JSON log lines through Powertools Logger: cold start, function request id and X-Ray trace id on every line. */
  logger: Logger;
  /** Adds a request's count and latency to the metrics, by route and status. */
  recordRequest: RecordRequest;
  /** Counts one throttled DynamoDB attempt (`StoreThrottles`, by service only: one metric to alarm on). */
  recordStoreThrottle: () => void;
  /** Wraps a handler: adds the invocation's context to the logs, and flushes the metrics after it. */
  instrument(handler: ApiHandler): ApiHandler;
}

/**
 * Powertools for AWS Lambda behind the handler's plain interfaces: `createHandler` only sees a
 * `Logger` function and a `RecordRequest` function, so tests and the local server pass their own.
 * Metrics are written as CloudWatch embedded metric format lines in the log (no API call, no
 * extra permission): `Requests` (count) and `Latency` (ms) by `route` and `status`, `ColdStart`, and
 * `StoreThrottles`.
 */
export function createLambdaObservability({
  serviceName,
  namespace,
}: {
  serviceName: string;
  namespace: string;
}): LambdaObservability {
  const logger = new PowertoolsLogger({ serviceName });
  const metrics = new Metrics({ serviceName, namespace });
  return {
    logger: (level, message, fields = {}) => logger[level](message, fields),
    recordRequest: ({ route, status, latencyMs }) => {
      metrics.addDimensions({ route, status: String(status) });
      metrics.addMetric('Requests', MetricUnit.Count, 1);
      metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
    },
    recordStoreThrottle: () => {
      // Published at once with the default dimensions only, apart from the request's route and status.
      metrics.singleMetric().addMetric(STORE_THROTTLES_METRIC, MetricUnit.Count, 1);
    },
    instrument: (handler) => async (event, context) => {
      logger.addContext(context);
      metrics.captureColdStartMetric(context.functionName);
      try {
        return await handler(event, context);
      } finally {
        metrics.publishStoredMetrics();
      }
    },
  };
}
