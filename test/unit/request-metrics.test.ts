import { createHandler } from '../../lambda/create-handler';
import type { LogLevel } from '../../lambda/http';
import { type RequestSample, routeName } from '../../lambda/request-metrics';
import type { ApiReader } from '../../lambda/routes';
import { localLambdaContext } from '../../local/lambda-context';
import { apiEvent } from '../support/api-event';

describe('routeName', () => {
  it.each([
    ['/', '/'],
    ['/openapi.json', '/openapi.json'],
    ['/v1/customers', '/v1/customers'],
    ['/v1/customers/c1/event_counts', '/v1/customers/{customer_id}/event_counts'],
    ['/v1/customers/c%2F1/total_events', '/v1/customers/{customer_id}/total_events'],
    ['/prod/v1/customers/c1/event_counts', '/v1/customers/{customer_id}/event_counts'],
    ['/v1/customers/c1/other', 'other'],
    ['/wp-login.php', 'other'],
  ])('names %s as %s', (path, route) => {
    expect(routeName(path)).toBe(route);
  });
});

describe('createHandler metrics and request log', () => {
  // No route here reads the store: the page, the OpenAPI document and unknown paths.
  const store = {} as ApiReader;

  it('records route, status and latency for every request and logs them', async () => {
    const samples: RequestSample[] = [];
    const lines: { level: LogLevel; message: string; fields?: Record<string, unknown> }[] = [];
    const handler = createHandler({
      store,
      logger: (level, message, fields) => lines.push({ level, message, fields }),
      recordRequest: (sample) => samples.push(sample),
    });

    await handler(apiEvent('/openapi.json'), localLambdaContext('r1'));
    await handler(apiEvent('/nowhere'), localLambdaContext('r2'));

    expect(samples).toEqual([
      { route: '/openapi.json', status: 200, latencyMs: expect.any(Number) },
      { route: 'other', status: 404, latencyMs: expect.any(Number) },
    ]);
    expect(lines.map((line) => [line.message, line.fields?.route, line.fields?.status])).toEqual([
      ['request', '/openapi.json', 200],
      ['request', 'other', 404],
    ]);
  });
});
