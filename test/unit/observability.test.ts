import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createLambdaObservability } from '../../lambda/observability';
import { localLambdaContext } from '../../local/lambda-context';
import { apiEvent } from '../support/api-event';

/** Runs `act` and returns the JSON lines Powertools wrote to stdout meanwhile. */
async function stdoutLines(act: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await act();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLambdaObservability (Powertools logger and metrics)', () => {
  const TRACE_ID = 'Root=1-5e1b4151-5ac6c58f5b5dbd6a5e1b4151;Parent=53995c3f42cd8ad8;Sampled=1';
  const ok: APIGatewayProxyStructuredResultV2 = { statusCode: 200, body: '{}' };

  // What Lambda sets: Powertools reports a cold start only for on-demand initialization.
  beforeEach(() => {
    process.env._X_AMZN_TRACE_ID = TRACE_ID;
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  });
  afterEach(() => {
    delete process.env._X_AMZN_TRACE_ID;
    delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  });

  it('writes JSON log lines with the service, cold start, request id and trace id', async () => {
    const lines = await stdoutLines(async () => {
      const observability = createLambdaObservability({ serviceName: 'event-counts', namespace: 'Test' });
      const handler = observability.instrument(async () => {
        observability.logger('info', 'request', { route: '/v1/customers', status: 200 });
        observability.recordRequest({ route: '/v1/customers', status: 200, latencyMs: 1 });
        return ok;
      });
      await handler(apiEvent('/v1/customers'), localLambdaContext('lambda-request-1'));
      await handler(apiEvent('/v1/customers'), localLambdaContext('lambda-request-2'));
    });

    const logs = lines.filter((line) => line.message === 'request');
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'INFO',
        service: 'event-counts',
        cold_start: true,
        function_request_id: 'lambda-request-1',
        xray_trace_id: '1-5e1b4151-5ac6c58f5b5dbd6a5e1b4151',
        route: '/v1/customers',
        status: 200,
      }),
      expect.objectContaining({ cold_start: false, function_request_id: 'lambda-request-2' }),
    ]);
  });

  it('publishes request count and latency by route and status, and a cold start, as embedded metrics', async () => {
    const lines = await stdoutLines(async () => {
      const observability = createLambdaObservability({ serviceName: 'event-counts', namespace: 'Test' });
      const handler = observability.instrument(async () => {
        observability.recordRequest({ route: '/v1/customers', status: 503, latencyMs: 42 });
        return ok;
      });
      await handler(apiEvent('/v1/customers'), localLambdaContext('lambda-request-1'));
    });

    const metricNames = (line: Record<string, unknown>) =>
      JSON.stringify((line._aws as { CloudWatchMetrics?: unknown } | undefined)?.CloudWatchMetrics ?? '');
    const requests = lines.find((line) => metricNames(line).includes('"Requests"'));
    expect(requests).toMatchObject({
      service: 'event-counts',
      route: '/v1/customers',
      status: '503',
      Requests: 1,
      Latency: 42,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'Test',
            Dimensions: [['service', 'route', 'status']],
            Metrics: expect.arrayContaining([
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'Latency', Unit: 'Milliseconds' },
            ]),
          },
        ],
      },
    });
    expect(lines.some((line) => line.ColdStart === 1)).toBe(true);
  });
});
