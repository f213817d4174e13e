import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME, STORE_THROTTLES_METRIC } from '../lambda/request-metrics';

const PERIOD = Duration.minutes(5);

/** What the API's on-call is paged about. */
export interface ServiceAlarmsProps {
  /** Notified when an alarm fires and again when it is OK. */
  topic: ITopic;
  apiFunction: IFunction;
  /** The function's timeout: the duration alarm fires at half of it. */
  functionTimeout: Duration;
  table: Table;
  /** The API stages by the prefix of their alarms' ids (`Api`, `BrowserApi`). */
  stages: Record<string, HttpStage>;
}

/**
 * The API's alarms, created in `scope` (the stack) so their ids stay stable. Each notifies `topic`
 * when it fires and when it is OK again, and stays OK without traffic. Counts fire on a 5-minute
 * sum; latencies on their p99 in 2 of 3 five-minute periods, so one slow request does not page.
 * Throttling is the API function's own signal (`StoreThrottles`, the attempts it saw throttled):
 * the table's `ThrottledRequests` also counts a load's throttles, which the loader retries by design.
 */
export function addServiceAlarms(
  scope: Construct,
  { topic, apiFunction, functionTimeout, table, stages }: ServiceAlarmsProps,
) {
  const action = new SnsAction(topic);
  const alarm = (
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    { evaluationPeriods = 1, datapointsToAlarm = 1 } = {},
  ) => {
    const created = new Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    created.addAlarmAction(action);
    created.addOkAction(action);
    return created;
  };
  const sum = { period: PERIOD, statistic: Stats.SUM };
  const p99 = { period: PERIOD, statistic: Stats.p(99) };
  const sustained = { evaluationPeriods: 3, datapointsToAlarm: 2 };
  // Half the timeout: requests this slow are about to become timeouts (normal ones take tens of ms).
  const slowMs = functionTimeout.toMilliseconds() / 2;

  // Handled failures are 5xx responses, not Lambda errors: those mean a crash or a timeout.
  alarm(
    'ApiFunctionErrorsAlarm',
    apiFunction.metricErrors(sum),
    1,
    'The query function crashed or timed out',
  );
  alarm(
    'ApiFunctionThrottlesAlarm',
    apiFunction.metricThrottles(sum),
    1,
    'Lambda throttled the query function (account concurrency exhausted)',
  );
  alarm(
    'ApiFunctionDurationAlarm',
    apiFunction.metricDuration(p99),
    slowMs,
    `The query function's p99 duration reached ${slowMs} ms, half its ${functionTimeout.toSeconds()} s timeout`,
    sustained,
  );
  alarm(
    'ApiStoreThrottlesAlarm',
    new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: STORE_THROTTLES_METRIC,
      dimensionsMap: { service: SERVICE_NAME },
      ...sum,
    }),
    10,
    'DynamoDB throttled the query function (10 attempts in 5 minutes, retried ones included); loads are not counted',
  );
  alarm(
    'TableSystemErrorsAlarm',
    table.metricSystemErrorsForOperations({
      ...sum,
      operations: [
        Operation.GET_ITEM,
        Operation.QUERY,
        Operation.PUT_ITEM,
        Operation.UPDATE_ITEM,
        Operation.TRANSACT_WRITE_ITEMS,
      ],
    }),
    5,
    'DynamoDB answered the counters table with internal errors (5 in 5 minutes)',
  );
  for (const [prefix, stage] of Object.entries(stages)) {
    alarm(
      `${prefix}5xxAlarm`,
      stage.metricServerError(sum),
      5,
      'The HTTP API answered 5xx (internal errors, or 503 while DynamoDB is unavailable)',
    );
    alarm(
      `${prefix}LatencyAlarm`,
      stage.metricLatency(p99),
      slowMs,
      `The HTTP API's p99 latency reached ${slowMs} ms`,
      sustained,
    );
  }
}
