import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { StoreThrottledError, StoreUnavailableError } from '../../core/errors';
import type { CustomerSummary } from '../../core/store-requests';
import type { Logger } from '../../lambda/http';
import { type ApiReader, createRouter } from '../../lambda/routes';
import { apiEvent } from '../support/api-event';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const REQUEST_ID = 'req-7f3e9c21';
const at = (iso: string) => Date.parse(iso);

/** `n` instants spread evenly over `[start, end)`. */
function spread(start: number, end: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + Math.floor((i * (end - start)) / n));
}

/**
 * An in-memory stand-in for the DynamoDB store: hourly counters and per-hour time indexes derived
 * from a list of event times per customer. It records which hour indexes were read.
 */
function fakeStore(events: Record<string, number[]>) {
  const indexReads: { customerId: string; hour: number; from: number; to: number }[] = [];
  const counterReads: { customerId: string; firstHour: number; lastHour: number }[] = [];
  const timesOf = (customerId: string) => events[customerId] ?? [];
  const reader: ApiReader = {
    async queryHourCounts(customerId, firstHour, lastHour) {
      counterReads.push({ customerId, firstHour, lastHour });
      const counts = new Map<number, number>();
      for (const time of timesOf(customerId)) {
        const hour = Math.floor(time / HOUR) * HOUR;
        if (hour >= firstHour && hour <= lastHour) counts.set(hour, (counts.get(hour) ?? 0) + 1);
      }
      return counts;
    },
    async countEventsInHour(customerId, hour, from, to) {
      indexReads.push({ customerId, hour, from, to });
      return timesOf(customerId).filter((time) => time >= hour + from && time < hour + to).length;
    },
    async getCustomer(customerId): Promise<CustomerSummary | undefined> {
      const times = timesOf(customerId);
      if (times.length === 0) return undefined;
      return {
        customerId,
        firstEventAt: Math.min(...times),
        lastEventAt: Math.max(...times),
        totalEvents: times.length,
      };
    },
    async listCustomers() {
      return { customers: [] };
    },
  };
  return { reader, indexReads, counterReads };
}

function header(response: APIGatewayProxyStructuredResultV2, name: string): string | undefined {
  const entry = Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry === undefined ? undefined : String(entry[1]);
}

function bodyOf(response: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(response.body ?? '') as Record<string, unknown>;
}

const eventCountsPath = (customerId: string) => `/v1/customers/${customerId}/event_counts`;

describe('createRouter', () => {
  let errorLog: jest.SpyInstance;

  beforeEach(() => {
    errorLog = jest.spyOn(console, 'error').mockImplementation(() => {});
  });

  afterEach(() => {
    errorLog.mockRestore();
  });

  describe('GET /v1/customers/{customer_id}/event_counts', () => {
    it('answers the design example with exactly its body', async () => {
      const events = {
        [CUSTOMER]: [
          at('2021-03-01T03:59:59.999Z'),
          ...spread(at('2021-03-01T04:00:00Z'), at('2021-03-01T05:00:00Z'), 408),
          ...spread(at('2021-03-01T05:00:00Z'), at('2021-03-01T06:00:00Z'), 1133),
          ...spread(at('2021-03-01T06:00:00Z'), at('2021-03-01T06:30:00Z'), 769),
          ...spread(at('2021-03-01T06:30:00Z'), at('2021-03-01T07:00:00Z'), 231),
          at('2021-03-01T07:00:00Z'),
        ],
      };
      const router = createRouter(fakeStore(events).reader);

      const response = await router(
        apiEvent(eventCountsPath(CUSTOMER), {
          starting_at: '2021-03-01T04:00:00Z',
          ending_before: '2021-03-01T06:30:00Z',
        }),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(200);
      expect(header(response, 'content-type')).toMatch(/^application\/json/);
      expect(bodyOf(response)).toStrictEqual({
        customer_id: 'b4f9279a0196e40632e947dd1a88e857',
        starting_at: '2021-03-01T04:00:00.000Z',
        ending_before: '2021-03-01T06:30:00.000Z',
        window_size: 'hour',
        total: 2310,
        buckets: [
          { starting_at: '2021-03-01T04:00:00.000Z', ending_before: '2021-03-01T05:00:00.000Z', count: 408 },
          { starting_at: '2021-03-01T05:00:00.000Z', ending_before: '2021-03-01T06:00:00.000Z', count: 1133 },
          { starting_at: '2021-03-01T06:00:00.000Z', ending_before: '2021-03-01T06:30:00.000Z', count: 769 },
        ],
      });
    });

    it('fills hours without events with 0', async () => {
      const router = createRouter(fakeStore({ [CUSTOMER]: [at('2021-03-01T02:10:00Z')] }).reader);

      const response = await router(
        apiEvent(eventCountsPath(CUSTOMER), {
          starting_at: '2021-03-01T00:00:00Z',
          ending_before: '2021-03-01T04:00:00Z',
        }),
        REQUEST_ID,
      );

      const body = bodyOf(response) as { total: number; buckets: { starting_at: string; count: number }[] };
      expect(body.buckets).toEqual([
        { starting_at: '2021-03-01T00:00:00.000Z', ending_before: '2021-03-01T01:00:00.000Z', count: 0 },
        { starting_at: '2021-03-01T01:00:00.000Z', ending_before: '2021-03-01T02:00:00.000Z', count: 0 },
        { starting_at: '2021-03-01T02:00:00.000Z', ending_before: '2021-03-01T03:00:00.000Z', count: 1 },
        { starting_at: '2021-03-01T03:00:00.000Z', ending_before: '2021-03-01T04:00:00.000Z', count: 0 },
      ]);
      expect(body.total).toBe(1);
    });

    it('answers zero-filled buckets for a customer without any events', async () => {
      const router = createRouter(fakeStore({}).reader);

      const response = await router(
        apiEvent(eventCountsPath('unknown-customer'), {
          starting_at: '2021-03-01T04:30:00Z',
          ending_before: '2021-03-01T06:00:00Z',
        }),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toMatchObject({
        total: 0,
        buckets: [{ count: 0 }, { count: 0 }],
      });
    });

    it('reads the time index of the partial edge hours only, never of a whole hour inside the range', async () => {
      const times = spread(at('2021-03-01T03:00:00Z'), at('2021-03-01T09:00:00Z'), 360);
      const store = fakeStore({ [CUSTOMER]: times });
      const router = createRouter(store.reader);

      const response = await router(
        apiEvent(eventCountsPath(CUSTOMER), {
          starting_at: '2021-03-01T04:15:00Z',
          ending_before: '2021-03-01T07:45:00Z',
        }),
        REQUEST_ID,
      );

      expect(
        store.indexReads.map(({ hour, from, to }) => ({ hour, from, to })).sort((a, b) => a.hour - b.hour),
      ).toEqual([
        { hour: at('2021-03-01T04:00:00Z'), from: 15 * MINUTE, to: HOUR },
        { hour: at('2021-03-01T07:00:00Z'), from: 0, to: 45 * MINUTE },
      ]);
      expect(store.counterReads).toEqual([
        { customerId: CUSTOMER, firstHour: at('2021-03-01T04:00:00Z'), lastHour: at('2021-03-01T07:00:00Z') },
      ]);
      // One event a minute: 45 + 60 + 60 + 45 minutes of the range.
      expect(bodyOf(response)).toMatchObject({
        total: 210,
        buckets: [{ count: 45 }, { count: 60 }, { count: 60 }, { count: 45 }],
      });
    });

    it('reads no time index when both edges are on the hour', async () => {
      const store = fakeStore({
        [CUSTOMER]: spread(at('2021-03-01T00:00:00Z'), at('2021-03-02T00:00:00Z'), 240),
      });

      const response = await createRouter(store.reader)(
        apiEvent(eventCountsPath(CUSTOMER), {
          starting_at: '2021-03-01T04:00:00Z',
          ending_before: '2021-03-01T08:00:00Z',
        }),
        REQUEST_ID,
      );

      expect(store.indexReads).toEqual([]);
      expect(bodyOf(response)).toMatchObject({ total: 40 });
    });

    it('reads one time index once when both edges lie inside the same hour', async () => {
      const store = fakeStore({
        [CUSTOMER]: spread(at('2021-03-01T04:00:00Z'), at('2021-03-01T05:00:00Z'), 60),
      });

      const response = await createRouter(store.reader)(
        apiEvent(eventCountsPath(CUSTOMER), {
          starting_at: '2021-03-01T04:10:00Z',
          ending_before: '2021-03-01T04:20:00Z',
        }),
        REQUEST_ID,
      );

      expect(store.indexReads).toEqual([
        { customerId: CUSTOMER, hour: at('2021-03-01T04:00:00Z'), from: 10 * MINUTE, to: 20 * MINUTE },
      ]);
      expect(bodyOf(response)).toMatchObject({
        buckets: [
          { starting_at: '2021-03-01T04:10:00.000Z', ending_before: '2021-03-01T04:20:00.000Z', count: 10 },
        ],
      });
    });

    it('decodes a percent-encoded customer id', async () => {
      const store = fakeStore({ 'acme@example.com': [at('2021-03-01T04:30:00Z')] });

      const response = await createRouter(store.reader)(
        apiEvent('/v1/customers/acme%40example.com/event_counts', {
          starting_at: '2021-03-01T04:00:00Z',
          ending_before: '2021-03-01T05:00:00Z',
        }),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toMatchObject({ customer_id: 'acme@example.com', total: 1 });
      expect(store.counterReads[0]?.customerId).toBe('acme@example.com');
    });
  });

  describe('GET /v1/customers/{customer_id}/total_events', () => {
    it('adds up the whole history when no bound is given', async () => {
      const times = [
        at('2021-03-01T00:00:00Z'),
        at('2021-03-02T12:34:56.789Z'),
        at('2021-03-03T23:59:59.999Z'),
      ];
      const store = fakeStore({ [CUSTOMER]: times });

      const response = await createRouter(store.reader)(
        apiEvent(`/v1/customers/${CUSTOMER}/total_events`),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(200);
      expect(bodyOf(response)).toEqual({
        customer_id: CUSTOMER,
        starting_at: null,
        ending_before: null,
        total_events: 3,
      });
    });
  });

  describe('400 errors', () => {
    const router = createRouter(fakeStore({}).reader);
    const valid = { starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T06:30:00Z' };

    it.each([
      ['starting_at', { ...valid, starting_at: 'yesterday' }, 'yesterday'],
      ['ending_before', { ...valid, ending_before: '2021-02-30T00:00:00Z' }, '2021-02-30T00:00:00Z'],
      ['ending_before', { ...valid, ending_before: '2021-03-01T03:00:00Z' }, '2021-03-01T03:00:00.000Z'],
      ['ending_before', { ...valid, ending_before: '2022-03-03T04:00:00Z' }, '2022-03-03T04:00:00.000Z'],
      ['window_size', { ...valid, window_size: 'week' }, 'week'],
      ['color', { ...valid, color: 'blue' }, 'color'],
    ])('answers 400 naming %s for %j', async (parameter, query, shown) => {
      const response = await router(apiEvent(eventCountsPath(CUSTOMER), query), REQUEST_ID);

      expect(response.statusCode).toBe(400);
      expect(header(response, 'content-type')).toMatch(/^application\/json/);
      const { error } = bodyOf(response) as { error: { code: string; message: string; parameter: string } };
      expect(error.code).toBe('invalid_parameter');
      expect(error.parameter).toBe(parameter);
      expect(error.message).toContain(parameter);
      expect(error.message).toContain(shown);
    });

    it('rejects an unknown query parameter of total_events', async () => {
      const response = await router(
        apiEvent(`/v1/customers/${CUSTOMER}/total_events`, { limit: '5' }),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toMatchObject({ error: { code: 'invalid_parameter', parameter: 'limit' } });
    });

    it.each([
      ['an id with a character outside the rules', '/v1/customers/acme%23eu/event_counts'],
      ['an encoded slash', '/v1/customers/acme%2Feu/event_counts'],
      ['an encoded empty id', '/v1/customers/%20/event_counts'],
      ['malformed percent-encoding', '/v1/customers/acme%E0%A4%A/event_counts'],
      ['a bare percent sign', '/v1/customers/acme%/event_counts'],
    ])('answers 400 naming customer_id for %s', async (_case, path) => {
      const response = await router(apiEvent(path, valid), REQUEST_ID);

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toMatchObject({
        error: { code: 'invalid_parameter', parameter: 'customer_id' },
      });
    });
  });

  describe('404 and 405', () => {
    const router = createRouter(fakeStore({}).reader);

    it.each([
      '/v1/customers/acme/unknown',
      '/v2/customers/acme/event_counts',
      '/v1/customers/acme/event_counts/extra',
      '/v1/customers//event_counts',
      '/v1/customers/acme/event_counts/',
      '/v1/customers/acme',
    ])('answers 404 not_found as JSON for %s', async (path) => {
      const response = await router(apiEvent(path), REQUEST_ID);

      expect(response.statusCode).toBe(404);
      expect(header(response, 'content-type')).toMatch(/^application\/json/);
      expect(bodyOf(response)).toMatchObject({ error: { code: 'not_found' } });
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'])(
      'answers 405 with Allow: GET to %s',
      async (method) => {
        const response = await router(apiEvent(eventCountsPath(CUSTOMER), {}, { method }), REQUEST_ID);

        expect(response.statusCode).toBe(405);
        expect(header(response, 'allow')).toBe('GET');
        expect(bodyOf(response)).toMatchObject({ error: { code: 'method_not_allowed' } });
      },
    );
  });

  describe('5xx errors', () => {
    const query = { starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T06:30:00Z' };

    function failingRouter(error: unknown, logger?: Logger) {
      const { reader } = fakeStore({});
      return createRouter(
        {
          ...reader,
          queryHourCounts: async () => {
            throw error;
          },
        },
        logger,
      );
    }

    it('answers a generic 500 with the request id and without the message or stack of an unexpected error', async () => {
      const failure = new TypeError('Cannot read properties of undefined (secret table internals)');

      const response = await failingRouter(failure)(apiEvent(eventCountsPath(CUSTOMER), query), REQUEST_ID);

      expect(response.statusCode).toBe(500);
      const body = response.body ?? '';
      expect(JSON.parse(body)).toEqual({
        error: { code: 'internal_error', message: expect.any(String), request_id: REQUEST_ID },
      });
      expect(body).not.toContain('secret table internals');
      expect(body).not.toContain('TypeError');
      expect(body).not.toContain('at ');
      expect(body).not.toContain('routes.test');
    });

    it('logs the details of an unexpected error under the request id', async () => {
      const failure = new Error('secret table internals');

      await failingRouter(failure)(apiEvent(eventCountsPath(CUSTOMER), query), REQUEST_ID);

      const logged = errorLog.mock.calls.map((call) => String(call[0])).join('\n');
      expect(logged).toContain(REQUEST_ID);
      expect(logged).toContain('secret table internals');
    });

    it('writes those details through the logger it is given instead of the console', async () => {
      const lines: Parameters<Logger>[] = [];

      await failingRouter(new Error('secret table internals'), (...line) => {
        lines.push(line);
      })(apiEvent(eventCountsPath(CUSTOMER), query), REQUEST_ID);

      expect(lines).toEqual([
        ['error', 'unhandled error', expect.objectContaining({ requestId: REQUEST_ID })],
      ]);
      expect(errorLog).not.toHaveBeenCalled();
    });

    it('answers 500 when something that is not an Error is thrown', async () => {
      const response = await failingRouter('a string')(
        apiEvent(eventCountsPath(CUSTOMER), query),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain('a string');
    });

    it('answers 503 with the request id and a Retry-After when the store reports DynamoDB throttling', async () => {
      const throttled = new StoreThrottledError('DynamoDB throttled a read of table event-counts', {
        cause: new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput for the table event-counts was exceeded',
          $metadata: { httpStatusCode: 400 },
        }),
      });

      const response = await failingRouter(throttled)(apiEvent(eventCountsPath(CUSTOMER), query), REQUEST_ID);

      expect(response.statusCode).toBe(503);
      expect(header(response, 'retry-after')).toMatch(/^\d+$/);
      const body = response.body ?? '';
      expect(JSON.parse(body)).toMatchObject({
        error: { code: 'service_unavailable', request_id: REQUEST_ID },
      });
      expect(body).not.toContain('provisioned throughput');
      expect(body).not.toContain('event-counts');
    });

    it('answers 503 when the store reports DynamoDB unavailable (a 5xx)', async () => {
      const serverError = new StoreUnavailableError('DynamoDB failed: We encountered an internal error', {
        cause: Object.assign(new Error('We encountered an internal error'), {
          name: 'InternalServerError',
          $metadata: { httpStatusCode: 500 },
        }),
      });

      const response = await failingRouter(serverError)(
        apiEvent(eventCountsPath(CUSTOMER), query),
        REQUEST_ID,
      );

      expect(response.statusCode).toBe(503);
      expect(response.body).not.toContain('internal error');
    });
  });
});
