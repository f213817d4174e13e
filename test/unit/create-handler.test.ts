import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore } from '../../core/counter-store';
import { createHandler, withEdgeCache } from '../../lambda/create-handler';
import type { LogLevel } from '../../lambda/http';
import { localLambdaContext } from '../../local/lambda-context';
import { apiEvent } from '../support/api-event';
import { indexItemsOfWrite } from '../support/offsets';

const TABLE_NAME = 'event-counts-unit';
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const EVENT_COUNTS_PATH = `/v1/customers/${CUSTOMER}/event_counts`;
const hourPart = (hour: number) => `2021-03-01T${String(hour).padStart(2, '0')}`;
const MINUTE = 60_000;

type Item = Record<string, unknown> & { pk: string; sk: string };

const counterItem = (hour: number, count: number): Item => ({
  pk: `C#${CUSTOMER}`,
  sk: `H#${hourPart(hour)}`,
  count,
  hour: `${hourPart(hour)}:00:00.000Z`,
});

/** The time index items of write `write` to `hour`, whole or split into minute parts. */
const indexItems = (hour: number, write: number, offsets: number[], split = false): Item[] =>
  indexItemsOfWrite(write, offsets, split).map(({ suffix, attributes }) => ({
    pk: `C#${CUSTOMER}`,
    sk: `I#${hourPart(hour)}#${suffix}`,
    ...attributes,
  }));

/**
 * A stand-in for DynamoDB's Query over `items`: it evaluates the partition key equality and a
 * BETWEEN or begins_with condition on the sort key, returns `pageSize` items a page and continues
 * after ExclusiveStartKey, as DynamoDB does when a page reaches 1 MB.
 */
function queryTable(items: Item[], pageSize: number) {
  return (input: QueryCommandInput): Partial<QueryCommandOutput> => {
    const condition = input.KeyConditionExpression ?? '';
    const values = input.ExpressionAttributeValues ?? {};
    const value = (placeholder: string | undefined) => values[placeholder ?? ''] as string;
    const pk = value(/= (:\w+)/.exec(condition)?.[1]);
    const between = /BETWEEN (:\w+) AND (:\w+)/.exec(condition);
    const prefix = /begins_with\(\s*#?\w+\s*,\s*(:\w+)\s*\)/.exec(condition);
    const after = input.ExclusiveStartKey?.sk as string | undefined;
    const matching = items
      .filter((item) => item.pk === pk)
      .filter((item) =>
        between !== null
          ? item.sk >= value(between[1]) && item.sk <= value(between[2])
          : prefix !== null && item.sk.startsWith(value(prefix[1])),
      )
      .filter((item) => after === undefined || item.sk > after)
      .sort((a, b) => (a.sk < b.sk ? -1 : 1));
    const page = matching.slice(0, pageSize);
    const last = page.at(-1);
    return {
      Items: page,
      Count: page.length,
      LastEvaluatedKey:
        matching.length > pageSize && last !== undefined ? { pk: last.pk, sk: last.sk } : undefined,
    };
  };
}

interface CountsBody {
  total: number;
  buckets: { starting_at: string; count: number }[];
}

interface LogLine {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

describe('createHandler', () => {
  // The SDK mocked at the client: every DynamoDBDocumentClient, the store's included, answers from here.
  const ddb = mockClient(DynamoDBDocumentClient);
  let lines: LogLine[];
  const handler = createHandler({
    store: createCounterStore({
      client: createDynamoDbClient({ region: 'eu-west-1' }),
      tableName: TABLE_NAME,
    }),
    logger: (level, message, fields) => {
      lines.push({ level, message, fields });
    },
    // Each test here counts its own Queries: no edge read is answered from an earlier test's.
    edgeCacheBytes: 0,
  });

  beforeEach(() => {
    ddb.reset();
    lines = [];
  });

  afterAll(() => {
    ddb.restore();
  });

  async function get(query: Record<string, string>) {
    const response = await handler(
      apiEvent(EVENT_COUNTS_PATH, query),
      localLambdaContext('lambda-request-1'),
    );
    return { response, body: JSON.parse(response.body ?? '') as CountsBody };
  }

  const queryInputs = () =>
    ddb.commandCalls(QueryCommand).map((call) => call.args[0].input as QueryCommandInput);

  it('reads the counters of the range with one Query: table name, BETWEEN on the sort key, #count aliased', async () => {
    const items = [counterItem(3, 99), counterItem(4, 408), counterItem(5, 1133), counterItem(7, 99)];
    ddb.on(QueryCommand).callsFake(queryTable(items, 100));

    const { response, body } = await get({
      starting_at: '2021-03-01T04:00:00Z',
      ending_before: '2021-03-01T07:00:00Z',
    });

    expect(response.statusCode).toBe(200);
    expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 0]);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE_NAME,
      KeyConditionExpression: expect.stringMatching(/ BETWEEN :\w+ AND :\w+/),
      ExpressionAttributeNames: expect.objectContaining({ '#count': 'count' }),
    });
  });

  it('names no reserved word (count, hour) directly in any expression', async () => {
    ddb.on(QueryCommand).callsFake(queryTable([], 100));

    await get({ starting_at: '2021-03-01T04:10:00Z', ending_before: '2021-03-01T06:30:00Z' });

    const expressions = queryInputs().flatMap((input) => [
      input.KeyConditionExpression ?? '',
      input.ProjectionExpression ?? '',
      input.FilterExpression ?? '',
    ]);
    expect(expressions.length).toBeGreaterThan(0);
    for (const expression of expressions) {
      expect(expression).not.toMatch(/(^|[^#:\w])(count|hour)\b/i);
    }
  });

  it('follows LastEvaluatedKey until the last page of counters', async () => {
    const items = [counterItem(4, 408), counterItem(5, 1133), counterItem(6, 769)];
    ddb.on(QueryCommand).callsFake(queryTable(items, 1));

    const { body } = await get({
      starting_at: '2021-03-01T04:00:00Z',
      ending_before: '2021-03-01T07:00:00Z',
    });

    expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 769]);
    expect(body.total).toBe(2310);
    const pages = queryInputs();
    expect(pages).toHaveLength(3);
    expect(pages[0]?.ExclusiveStartKey).toBeUndefined();
    expect(pages[1]?.ExclusiveStartKey).toEqual({ pk: `C#${CUSTOMER}`, sk: `H#${hourPart(4)}` });
    expect(pages[2]?.ExclusiveStartKey).toEqual({ pk: `C#${CUSTOMER}`, sk: `H#${hourPart(5)}` });
  });

  it("counts a partial last hour from that hour's time index alone, read by its key ranges and paginated", async () => {
    const items = [
      counterItem(4, 408),
      counterItem(5, 1133),
      counterItem(6, 9),
      ...indexItems(5, 1, [0, 1, 2]),
      ...indexItems(6, 1, [0, 10 * MINUTE, 29 * MINUTE + 59_999]),
      ...indexItems(6, 2, [30 * MINUTE, 45 * MINUTE, 59 * MINUTE]),
      ...indexItems(6, 3, [1, 29 * MINUTE + 1, 29 * MINUTE + 2], true),
      ...indexItems(7, 1, [0]),
    ];
    ddb.on(QueryCommand).callsFake(queryTable(items, 1));

    const { body } = await get({
      starting_at: '2021-03-01T04:00:00Z',
      ending_before: '2021-03-01T06:29:00.002Z',
    });

    expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 4]);
    const indexKeys = (input: QueryCommandInput) =>
      Object.values(input.ExpressionAttributeValues ?? {}).filter(
        (value): value is string => typeof value === 'string' && value.startsWith('I#'),
      );
    const indexQueries = queryInputs().filter((input) => indexKeys(input).length > 0);
    expect(new Set(indexQueries.flatMap(indexKeys))).toEqual(
      new Set([
        `I#${hourPart(6)}#W#`,
        `I#${hourPart(6)}#W$`,
        `I#${hourPart(6)}#M29#`,
        `I#${hourPart(6)}#M29$`,
      ]),
    );
    // Three W items and one minute-29 part at one item a page: 3 + 1 pages, each after the last item.
    const wholePages = indexQueries.filter((input) => indexKeys(input).includes(`I#${hourPart(6)}#W#`));
    expect(wholePages).toHaveLength(3);
    expect(indexQueries).toHaveLength(4);
    expect(wholePages[1]?.ExclusiveStartKey).toEqual({
      pk: `C#${CUSTOMER}`,
      sk: `I#${hourPart(6)}#W#000001`,
    });
  });

  it('answers 503 when DynamoDB throttles the Query', async () => {
    ddb.on(QueryCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: `Throughput exceeded for table ${TABLE_NAME}`,
        $metadata: { httpStatusCode: 400 },
      }),
    );

    const response = await handler(
      apiEvent(EVENT_COUNTS_PATH, {
        starting_at: '2021-03-01T04:00:00Z',
        ending_before: '2021-03-01T05:00:00Z',
      }),
      localLambdaContext('lambda-request-2'),
    );

    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('lambda-request-2');
    expect(response.body).not.toContain(TABLE_NAME);
  });

  it('logs one structured line per request with the request id and status', async () => {
    ddb.on(QueryCommand).callsFake(queryTable([], 100));

    await get({ starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T05:00:00Z' });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      message: 'request',
      fields: { requestId: 'lambda-request-1', status: 200 },
    });
  });
});

describe('createHandler edge cache', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const build = (edgeCacheBytes?: number) =>
    createHandler({
      store: createCounterStore({
        client: createDynamoDbClient({ region: 'eu-west-1' }),
        tableName: TABLE_NAME,
      }),
      logger: () => {},
      edgeCacheBytes,
    });
  const PARTIAL = { starting_at: '2021-03-01T04:10:00.5Z', ending_before: '2021-03-01T06:30:00Z' };
  let items: Item[];

  beforeEach(() => {
    ddb.reset();
    items = [
      counterItem(4, 4),
      counterItem(5, 1133),
      counterItem(6, 2),
      ...indexItems(4, 1, [0, 10 * MINUTE + 500, 10 * MINUTE + 501, 59 * MINUTE], true),
      ...indexItems(6, 1, [29 * MINUTE, 31 * MINUTE]),
    ];
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => queryTable(items, 100)(input));
  });

  afterAll(() => {
    ddb.restore();
  });

  async function counts(handler: ReturnType<typeof createHandler>, query = PARTIAL) {
    const response = await handler(apiEvent(EVENT_COUNTS_PATH, query), localLambdaContext('cache'));
    return (JSON.parse(response.body ?? '') as CountsBody).buckets.map((bucket) => bucket.count);
  }
  const queries = () => ddb.commandCalls(QueryCommand).length;

  it('answers a repeated request with the counter Query alone while the edge counters are unchanged', async () => {
    const handler = build();

    const first = await counts(handler);
    const afterFirst = queries();
    const second = await counts(handler);

    expect(first).toEqual([3, 1133, 1]);
    // Counters, hour 4's W items and minute 10, hour 6's W items (06:30 is a minute boundary).
    expect(afterFirst).toBe(4);
    expect(second).toEqual(first);
    expect(queries() - afterFirst).toBe(1);
  });

  it("reads an edge again, after the counter Query, when its hour's counter changed", async () => {
    const handler = build();
    await counts(handler);
    items.push(counterItem(6, 3), ...indexItems(6, 2, [29 * MINUTE + 1]));
    items.splice(items.indexOf(items.find((item) => item.sk === `H#${hourPart(6)}`) as Item), 1);
    ddb.resetHistory();

    const result = await counts(handler);

    expect(result).toEqual([3, 1133, 2]);
    const inputs = ddb.commandCalls(QueryCommand).map((call) => call.args[0].input as QueryCommandInput);
    expect(inputs.map((input) => input.ExpressionAttributeValues?.[':first'])).toEqual([
      `H#${hourPart(4)}`,
      `I#${hourPart(6)}#W#`,
    ]);
  });

  it('answers an edge hour without events from the cache once it is known', async () => {
    const handler = build();
    const empty = { starting_at: '2021-03-01T08:10:00.5Z', ending_before: '2021-03-01T09:00:00Z' };

    expect(await counts(handler, empty)).toEqual([0]);
    const afterFirst = queries();
    expect(await counts(handler, empty)).toEqual([0]);

    expect(afterFirst).toBe(3);
    expect(queries() - afterFirst).toBe(1);
  });

  it('reads only the minute a new cut needs when the cached writes are the same, then keeps both minutes', async () => {
    const handler = build();
    await counts(handler);
    ddb.resetHistory();

    const other = { starting_at: '2021-03-01T04:59:00.5Z', ending_before: '2021-03-01T05:00:00Z' };
    expect(await counts(handler, other)).toEqual([0]);
    expect(await counts(handler, other)).toEqual([0]);
    expect(await counts(handler)).toEqual([3, 1133, 1]);

    // The new cut: counters + W + minute 59 once; then one Query a request.
    expect(queries()).toBe(3 + 1 + 1);
  });

  it('reads every edge each time with edgeCacheBytes 0', async () => {
    const handler = build(0);

    await counts(handler);
    await counts(handler);

    expect(queries()).toBe(8);
  });

  it.each([-1, 1.5, Number.NaN])('refuses edgeCacheBytes %p, naming the option', (edgeCacheBytes) => {
    expect(() => build(edgeCacheBytes)).toThrow(
      `edgeCacheBytes must be a whole number of bytes >= 1; received ${edgeCacheBytes}`,
    );
  });
});

describe('withEdgeCache', () => {
  const store = createCounterStore({
    client: createDynamoDbClient({ region: 'eu-west-1' }),
    tableName: TABLE_NAME,
  });

  it('returns the store itself for 0 bytes, and a reader with a cache that reads through the store otherwise', () => {
    const reader = withEdgeCache(store, 1_000);

    expect(withEdgeCache(store, 0)).toBe(store);
    expect(reader.edgeCache?.size).toBe(0);
    expect(reader.readHourIndex).toBe(store.readHourIndex);
    expect(Object.getPrototypeOf(reader)).toBe(store);
  });

  it('adds no cache to a reader that cannot read an hour index', () => {
    const fake = { ...store, readHourIndex: undefined };

    expect(withEdgeCache(fake, 1_000)).toBe(fake);
  });
});
