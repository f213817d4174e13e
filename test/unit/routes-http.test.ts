import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConfigurationError } from '../../core/config';
import type { Logger } from '../../lambda/http';
import { eventCountsBody } from '../../lambda/response-bodies';
import {
  chooseContentCoding,
  compressionSettings,
  finishResponse,
  LARGE_BODY_BYTES,
} from '../../lambda/response-encoding';
import { type ApiReader, createRouter, parseBasePath } from '../../lambda/routes';
import { apiEvent } from '../support/api-event';

const HOUR = 3_600_000;
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const REQUEST_ID = 'req-routes-http';
const EVENT_COUNTS = `/v1/customers/${CUSTOMER}/event_counts`;
const RANGE = { starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T06:00:00Z' };

/** A store whose every hour holds `perHour` events, whatever the customer. */
function steadyStore(perHour: number): ApiReader {
  return {
    async queryHourCounts(_customerId, firstHour, lastHour) {
      const counts = new Map<number, number>();
      for (let hour = firstHour; hour <= lastHour; hour += HOUR) counts.set(hour, perHour);
      return counts;
    },
    async countEventsInHour() {
      return perHour;
    },
    async getCustomer() {
      return undefined;
    },
    async listCustomers() {
      return { customers: [] };
    },
  };
}

/** A store whose hours hold pseudo-random counts from 0 to 4,999 (a fixed sequence). */
function variedStore(): ApiReader {
  return {
    ...steadyStore(0),
    async queryHourCounts(_customerId, firstHour, lastHour) {
      const counts = new Map<number, number>();
      let seed = 42;
      for (let hour = firstHour; hour <= lastHour; hour += HOUR) {
        seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
        counts.set(hour, seed % 5_000);
      }
      return counts;
    },
  };
}

function header(response: APIGatewayProxyStructuredResultV2, name: string): string | undefined {
  const entry = Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry === undefined ? undefined : String(entry[1]);
}

function jsonOf(response: APIGatewayProxyStructuredResultV2): Record<string, unknown> {
  return JSON.parse(response.body ?? '') as Record<string, unknown>;
}

describe('createRouter behind a stage or a custom domain', () => {
  const router = createRouter(steadyStore(10));
  const mounted = createRouter(steadyStore(10), undefined, undefined, { basePath: '/counts' });

  it('routes a named stage path (/prod/v1/...) after removing the stage segment', async () => {
    const response = await router(apiEvent(`/prod${EVENT_COUNTS}`, RANGE, { stage: 'prod' }), REQUEST_ID);

    expect(response.statusCode).toBe(200);
    expect(jsonOf(response)).toMatchObject({ customer_id: CUSTOMER, total: 20 });
  });

  it.each(['/prod', '/prod/'])('serves the usage page at %s', async (path) => {
    const response = await router(apiEvent(path, {}, { stage: 'prod' }), REQUEST_ID);

    expect(response.statusCode).toBe(200);
    expect(header(response, 'content-type')).toMatch(/^text\/html/);
  });

  it('keeps a path that does not start with the stage (a custom domain maps the stage without it)', async () => {
    const response = await router(apiEvent(EVENT_COUNTS, RANGE, { stage: 'prod' }), REQUEST_ID);

    expect(response.statusCode).toBe(200);
  });

  it('removes nothing for the $default stage', async () => {
    const response = await router(apiEvent(`/$default${EVENT_COUNTS}`, RANGE), REQUEST_ID);

    expect(response.statusCode).toBe(404);
  });

  it('removes a stage name only as a whole segment', async () => {
    const response = await router(
      apiEvent(`/production${EVENT_COUNTS}`, RANGE, { stage: 'prod' }),
      REQUEST_ID,
    );

    expect(response.statusCode).toBe(404);
  });

  it.each([`/counts${EVENT_COUNTS}`, EVENT_COUNTS])('routes %s with the base path /counts', async (path) => {
    const response = await mounted(apiEvent(path, RANGE, { stage: 'live' }), REQUEST_ID);

    expect(response.statusCode).toBe(200);
  });

  it('serves the page at the base path itself', async () => {
    const response = await mounted(apiEvent('/counts'), REQUEST_ID);

    expect(header(response, 'content-type')).toMatch(/^text\/html/);
  });

  it('answers 404 for another base path', async () => {
    const response = await mounted(apiEvent(`/countsx${EVENT_COUNTS}`, RANGE), REQUEST_ID);

    expect(response.statusCode).toBe(404);
  });
});

describe('parseBasePath', () => {
  it.each([
    ['counts', '/counts'],
    ['/counts', '/counts'],
    ['/counts/v2/', '/counts/v2'],
    ["a$-_.+!*'(),b", "/a$-_.+!*'(),b"],
  ])('reads %j as %j', (text, path) => {
    expect(parseBasePath(text)).toBe(path);
  });

  it.each([undefined, '', ' ', '/'])('reads %j as no base path', (text) => {
    expect(parseBasePath(text)).toBeUndefined();
  });

  it.each(['a b', 'counts//v2', 'counts?x', 'co%75nts', 'counts#'])(
    'refuses %j, naming BASE_PATH',
    (text) => {
      expect(() => parseBasePath(text)).toThrow(ConfigurationError);
      expect(() => parseBasePath(text)).toThrow(/BASE_PATH must be an API mapping key/);
    },
  );
});

describe('createRouter and repeated query parameters', () => {
  const router = createRouter(steadyStore(10));

  it('answers 400 naming a parameter given twice, which API Gateway would have joined with a comma', async () => {
    // The example: read as one value, the join was a valid time with a ,5 fraction.
    const event = apiEvent(
      EVENT_COUNTS,
      { starting_at: '2021-03-01T04:00:00,5+05:00', ending_before: '2021-03-02' },
      { rawQueryString: 'starting_at=2021-03-01T04:00:00&starting_at=5%2B05:00&ending_before=2021-03-02' },
    );

    const response = await router(event, REQUEST_ID);

    expect(response.statusCode).toBe(400);
    expect(jsonOf(response)).toMatchObject({
      error: {
        code: 'invalid_parameter',
        parameter: 'starting_at',
        message: expect.stringMatching(/2 times/),
      },
    });
  });

  it('finds a repeat whose names are spelled differently but decode the same', async () => {
    const event = apiEvent('/v1/customers', { limit: '5,6' }, { rawQueryString: 'limit=5&l%69mit=6' });

    const response = await router(event, REQUEST_ID);

    expect(jsonOf(response)).toMatchObject({ error: { parameter: 'limit' } });
  });

  it('finds a repeat of a parameter without a value', async () => {
    const event = apiEvent(
      `/v1/customers/${CUSTOMER}/total_events`,
      { starting_at: ',' },
      { rawQueryString: 'starting_at&starting_at=' },
    );

    expect((await router(event, REQUEST_ID)).statusCode).toBe(400);
  });

  it('accepts each parameter once', async () => {
    const response = await router(apiEvent(EVENT_COUNTS, { ...RANGE, window_size: 'day' }), REQUEST_ID);

    expect(response.statusCode).toBe(200);
  });

  it('ignores the query of the usage page, which keeps its own state there', async () => {
    const event = apiEvent('/', { customer: 'a,b' }, { rawQueryString: 'customer=a&customer=b' });

    expect((await router(event, REQUEST_ID)).statusCode).toBe(200);
  });
});

describe('createRouter and events of another payload format', () => {
  /** A REST API (payload 1.0) proxy event: no rawPath, no requestContext.http. */
  const restEvent = {
    resource: '/{proxy+}',
    path: EVENT_COUNTS,
    httpMethod: 'GET',
    headers: { host: 'api.example.com' },
    queryStringParameters: RANGE,
    requestContext: { stage: 'prod', requestId: 'rest-request', httpMethod: 'GET' },
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;

  it('answers a JSON 500 with the request id and logs why, instead of throwing a TypeError', async () => {
    const lines: Parameters<Logger>[] = [];
    const router = createRouter(steadyStore(1), (...line) => {
      lines.push(line);
    });

    const response = await router(restEvent, REQUEST_ID);

    expect(response.statusCode).toBe(500);
    expect(jsonOf(response)).toEqual({
      error: { code: 'internal_error', message: expect.any(String), request_id: REQUEST_ID },
    });
    expect(lines).toEqual([
      [
        'error',
        'unsupported event',
        { requestId: REQUEST_ID, reason: expect.stringMatching(/payload format 1\.0/) },
      ],
    ]);
  });

  it('answers anything that is no API Gateway event the same way', async () => {
    const router = createRouter(steadyStore(1), () => {});

    const response = await router({} as APIGatewayProxyEventV2, REQUEST_ID);

    expect(response.statusCode).toBe(500);
  });
});

describe('createRouter responses', () => {
  const quiet: Logger = () => {};
  const router = createRouter(steadyStore(10), quiet);
  const failing = createRouter(
    {
      ...steadyStore(1),
      queryHourCounts: async () => {
        throw new Error('simulated failure');
      },
    },
    quiet,
  );

  it.each([
    ['a 200 JSON answer', router, apiEvent(EVENT_COUNTS, RANGE), 200],
    ['a 400', router, apiEvent(EVENT_COUNTS, { starting_at: 'yesterday' }), 400],
    ['a 404', router, apiEvent('/nothing'), 404],
    ['a 405', router, apiEvent(EVENT_COUNTS, {}, { method: 'POST' }), 405],
    ['a 500', failing, apiEvent(EVENT_COUNTS, RANGE), 500],
    ['the usage page', router, apiEvent('/'), 200],
    ['the OpenAPI document', router, apiEvent('/openapi.json'), 200],
  ])(
    'send x-content-type-options: nosniff and vary: accept-encoding with %s',
    async (_case, route, event, status) => {
      const response = await route(event, REQUEST_ID);

      expect(response.statusCode).toBe(status);
      expect(header(response, 'x-content-type-options')).toBe('nosniff');
      expect(header(response, 'vary')).toBe('accept-encoding');
    },
  );

  it('quote at most a short prefix of an unknown path', async () => {
    const path = `/v1/${'a'.repeat(5000)}`;

    const response = await router(apiEvent(path), REQUEST_ID);

    expect(response.statusCode).toBe(404);
    expect((response.body ?? '').length).toBeLessThan(250);
  });

  it('quote at most a short prefix of an unknown parameter name, also in `parameter`', async () => {
    const name = `x${'y'.repeat(3000)}`;

    const response = await router(apiEvent(EVENT_COUNTS, { [name]: '1' }), REQUEST_ID);

    expect(response.statusCode).toBe(400);
    expect((response.body ?? '').length).toBeLessThan(400);
  });

  describe('a year of hourly buckets', () => {
    const year = { starting_at: '2021-01-01', ending_before: '2022-01-01' };
    // Counts that vary like real ones (0 to 4,999 an hour): the hardest case for compression.
    const router = createRouter(variedStore(), quiet);

    it('is sent gzip-compressed, base64-encoded for API Gateway, under 150 KB, when the caller accepts gzip', async () => {
      const plain = await router(apiEvent(EVENT_COUNTS, year), REQUEST_ID);

      const response = await router(
        apiEvent(EVENT_COUNTS, year, { headers: { 'accept-encoding': 'gzip' } }),
        REQUEST_ID,
      );

      expect(response.isBase64Encoded).toBe(true);
      expect(header(response, 'content-encoding')).toBe('gzip');
      const compressed = Buffer.from(response.body ?? '', 'base64');
      expect(compressed.length).toBeLessThan(150_000);
      expect(gunzipSync(compressed).toString('utf8')).toBe(plain.body);
      expect((jsonOf(plain) as { buckets: unknown[] }).buckets).toHaveLength(8760);
      expect((plain.body ?? '').length).toBeGreaterThan(800_000);
    });

    it('is sent brotli-compressed when the caller accepts br, as browsers do', async () => {
      const response = await router(
        apiEvent(EVENT_COUNTS, year, { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } }),
        REQUEST_ID,
      );

      expect(header(response, 'content-encoding')).toBe('br');
      const compressed = Buffer.from(response.body ?? '', 'base64');
      expect(compressed.length).toBeLessThan(150_000);
      const body = JSON.parse(brotliDecompressSync(compressed).toString('utf8'));
      expect(body.buckets).toHaveLength(8760);
    });

    it('is sent as it is without Accept-Encoding', async () => {
      const response = await router(apiEvent(EVENT_COUNTS, year), REQUEST_ID);

      expect(response.isBase64Encoded).toBeUndefined();
      expect(header(response, 'content-encoding')).toBeUndefined();
    });
  });

  it('sends a body under 1 KB as it is, whatever the caller accepts', async () => {
    const response = await router(
      apiEvent(EVENT_COUNTS, RANGE, { headers: { 'accept-encoding': 'gzip' } }),
      REQUEST_ID,
    );

    expect(header(response, 'content-encoding')).toBeUndefined();
    expect(jsonOf(response)).toMatchObject({ total: 20 });
  });
});

describe('chooseContentCoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, br', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['GZIP', 'gzip'],
    ['*', 'br'],
    ['*;q=0.1, gzip;q=0.2', 'gzip'],
    ['identity', 'identity'],
    ['deflate', 'identity'],
    ['gzip;q=banana', 'identity'],
  ])('answers %j with %s', (header, coding) => {
    expect(chooseContentCoding(header)).toBe(coding);
  });
});

describe('finishResponse', () => {
  it('leaves a body that is already encoded as it is', () => {
    const response = { statusCode: 200, body: 'x'.repeat(2000), isBase64Encoded: true };

    expect(finishResponse(response, 'gzip').body).toBe(response.body);
  });
});

describe('compressionSettings', () => {
  it("keeps zlib's default gzip level and brotli quality 4 below 256 KB", () => {
    expect(compressionSettings(LARGE_BODY_BYTES - 1)).toEqual({ gzipLevel: 6, brotliQuality: 4 });
  });

  it('takes the faster gzip level 1 and brotli quality 2 from 256 KB on, such as a year of hourly buckets', () => {
    expect(compressionSettings(LARGE_BODY_BYTES)).toEqual({ gzipLevel: 1, brotliQuality: 2 });
  });
});

describe('finishResponse and large bodies', () => {
  const large = JSON.stringify({ text: 'x'.repeat(LARGE_BODY_BYTES) });
  const response = { statusCode: 200, body: large };

  it.each([
    ['gzip', gunzipSync],
    ['br', brotliDecompressSync],
  ] as const)(
    'compresses a body over 256 KB with %s so that it decodes to the same text',
    (coding, decode) => {
      const finished = finishResponse(response, coding);

      expect(finished.headers?.['content-encoding']).toBe(coding);
      expect(decode(Buffer.from(finished.body ?? '', 'base64')).toString('utf8')).toBe(large);
    },
  );
});

describe('createRouter event counts body', () => {
  const store = variedStore();
  const router = createRouter(store, () => {});

  it.each([
    [
      'hourly buckets with partial edges',
      { starting_at: '2021-03-01T04:12:00.5Z', ending_before: '2021-03-03T06:30:00Z' },
    ],
    [
      'day buckets',
      { starting_at: '2021-02-27T22:30:00Z', ending_before: '2021-03-03T00:15:00Z', window_size: 'day' },
    ],
    [
      'one bucket',
      { starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-09T00:00:00Z', window_size: 'none' },
    ],
  ])(
    'answers %s with the bytes JSON.stringify writes for the body the query CLI prints',
    async (_, query) => {
      const response = await router(apiEvent(EVENT_COUNTS, query), REQUEST_ID);

      expect(response.statusCode).toBe(200);
      expect(response.body).toBe(JSON.stringify(await eventCountsBody(store, CUSTOMER, query)));
    },
  );
});
