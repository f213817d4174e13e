import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore } from '../../core/counter-store';
import { createHandler } from '../../lambda/create-handler';
import type { LogLevel } from '../../lambda/http';
import { localLambdaContext } from '../../local/lambda-context';
import { apiEvent } from '../support/api-event';

const TABLE_NAME = 'event-counts-faults';
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const EVENT_COUNTS = `/v1/customers/${CUSTOMER}/event_counts`;
const WHOLE_HOURS = { starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T06:00:00Z' };
const PARTIAL_HOUR = { starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T04:30:00Z' };

interface LogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

describe('createHandler when the store fails', () => {
  // The SDK mocked at the client: the store's DynamoDBDocumentClient answers from here.
  const ddb = mockClient(DynamoDBDocumentClient);
  let lines: LogLine[];
  const build = (deadlineMs?: number) =>
    createHandler({
      store: createCounterStore({
        client: createDynamoDbClient({ region: 'eu-west-1' }),
        tableName: TABLE_NAME,
      }),
      logger: (level, message, fields) => {
        lines.push({ level, message, fields });
      },
      deadlineMs,
    });

  beforeEach(() => {
    ddb.reset();
    lines = [];
  });

  afterAll(() => {
    ddb.restore();
  });

  const bodyOf = (response: APIGatewayProxyStructuredResultV2) =>
    JSON.parse(response.body ?? '') as { error: Record<string, string> };
  const logged = () => JSON.stringify(lines);

  describe('a store that never answers', () => {
    beforeEach(() => {
      ddb.on(QueryCommand).callsFake(() => new Promise(() => {}));
    });

    it('answers a JSON 503 with retry-after and the request id once the deadline passes', async () => {
      const started = performance.now();

      const response = await build(300)(apiEvent(EVENT_COUNTS, WHOLE_HOURS), localLambdaContext('hung-1'));

      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(1_500);
      expect(response.statusCode).toBe(503);
      expect(response.headers).toMatchObject({ 'retry-after': '1', 'x-content-type-options': 'nosniff' });
      expect(bodyOf(response)).toEqual({
        error: { code: 'service_unavailable', message: expect.any(String), request_id: 'hung-1' },
      });
      expect(lines.map((line) => line.message)).toEqual(['store unavailable', 'request']);
      expect(logged()).toContain('DeadlineExceededError');
    });

    it('keeps the deadline a second inside the time the function has left', async () => {
      const context = { ...localLambdaContext('hung-2'), getRemainingTimeInMillis: () => 1_200 };
      const started = performance.now();

      const response = await build(60_000)(apiEvent(EVENT_COUNTS, WHOLE_HOURS), context);

      expect(response.statusCode).toBe(503);
      expect(performance.now() - started).toBeLessThan(1_000);
    });
  });

  it('answers from the store when the store answers before the deadline', async () => {
    ddb.on(QueryCommand).resolves({ Items: [], Count: 0 });

    const response = await build(1_000)(apiEvent(EVENT_COUNTS, WHOLE_HOURS), localLambdaContext('fast'));

    expect(response.statusCode).toBe(200);
  });

  describe('a corrupt stored item', () => {
    it.each([
      ['a counter without count', { sk: 'H#2021-03-01T04' }],
      ['a counter whose count is text', { sk: 'H#2021-03-01T04', count: 'many' }],
      ['a counter whose count is not whole', { sk: 'H#2021-03-01T04', count: 1.5 }],
      ['a counter whose count is negative', { sk: 'H#2021-03-01T04', count: -3 }],
      ['a counter whose sort key is no hour', { sk: 'H#yesterday', count: 3 }],
    ])('answers a logged 500 for %s, never a 200 with a null total', async (_case, item) => {
      ddb.on(QueryCommand).resolves({ Items: [{ pk: `C#${CUSTOMER}`, ...item }], Count: 1 });

      const response = await build()(apiEvent(EVENT_COUNTS, WHOLE_HOURS), localLambdaContext('corrupt'));

      expect(response.statusCode).toBe(500);
      expect(bodyOf(response).error).toMatchObject({ code: 'internal_error', request_id: 'corrupt' });
      expect(response.body).not.toContain('H#');
      expect(lines[0]).toMatchObject({ level: 'error', fields: { requestId: 'corrupt' } });
      expect(logged()).toContain('CorruptItemError');
      expect(logged()).toContain(`C#${CUSTOMER}`);
    });

    it.each([
      ['offsets that are not a multiple of 4 bytes', new Uint8Array(5)],
      ['offsets that are text', 'AAAA'],
      ['no offsets at all', undefined],
    ])('answers a logged 500 for a time index item with %s', async (_case, offsets) => {
      ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues?: Record<string, unknown> }) => {
        const isIndex = Object.values(input.ExpressionAttributeValues ?? {}).some(
          (value) => typeof value === 'string' && value.startsWith('I#'),
        );
        return isIndex
          ? { Items: [{ pk: `C#${CUSTOMER}`, sk: 'I#2021-03-01T04#W#000001', events: 1, offsets }], Count: 1 }
          : { Items: [{ pk: `C#${CUSTOMER}`, sk: 'H#2021-03-01T04', count: 1 }], Count: 1 };
      });

      const response = await build()(apiEvent(EVENT_COUNTS, PARTIAL_HOUR), localLambdaContext('index'));

      expect(response.statusCode).toBe(500);
      expect(logged()).toContain('CorruptItemError');
      expect(logged()).toContain('I#2021-03-01T04');
    });

    it.each([
      ['a total that is text', { firstEventAt: 0, lastEventAt: 1, total: 'x' }],
      ['no first event time', { lastEventAt: 1, total: 3 }],
    ])('answers a logged 500 for a directory entry with %s', async (_case, entry) => {
      ddb.on(GetCommand).resolves({ Item: { pk: 'D#customers#0', sk: CUSTOMER, ...entry } });

      const response = await build()(apiEvent(EVENT_COUNTS), localLambdaContext('directory'));

      expect(response.statusCode).toBe(500);
      expect(logged()).toContain('CorruptItemError');
    });
  });
});
