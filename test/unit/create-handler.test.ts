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
import { createHandler } from '../../lambda/create-handler';
import type { LogLevel } from '../../lambda/http';
import { localLambdaContext } from '../../local/lambda-context';
import { apiEvent } from '../support/api-event';
import { packedOffsets } from '../support/offsets';

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

const indexItem = (hour: number, part: number, offsets: number[]): Item => ({
  pk: `C#${CUSTOMER}`,
  sk: `I#${hourPart(hour)}#000001#${String(part).padStart(4, '0')}`,
  events: offsets.length,
  offsets: packedOffsets(offsets),
});

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

  it('counts a partial last hour from that hour index alone, read by its key range and paginated', async () => {
    const items = [
      counterItem(4, 408),
      counterItem(5, 1133),
      counterItem(6, 6),
      indexItem(5, 0, [0, 1, 2]),
      indexItem(6, 0, [0, 10 * MINUTE, 29 * MINUTE + 59_999]),
      indexItem(6, 1, [30 * MINUTE, 45 * MINUTE, 59 * MINUTE]),
      indexItem(7, 0, [0]),
    ];
    ddb.on(QueryCommand).callsFake(queryTable(items, 1));

    const { body } = await get({
      starting_at: '2021-03-01T04:00:00Z',
      ending_before: '2021-03-01T06:30:00Z',
    });

    expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 3]);
    const indexKeys = (input: QueryCommandInput) =>
      Object.values(input.ExpressionAttributeValues ?? {}).filter(
        (value): value is string => typeof value === 'string' && value.startsWith('I#'),
      );
    const indexQueries = queryInputs().filter((input) => indexKeys(input).length > 0);
    const keys = indexQueries.flatMap(indexKeys);
    expect(new Set(keys)).toEqual(new Set([`I#${hourPart(6)}`, `I#${hourPart(6)}$`]));
    // Two index fragments at one item a page: two pages, the second after the first fragment.
    expect(indexQueries).toHaveLength(2);
    expect(indexQueries[1]?.ExclusiveStartKey).toEqual({ pk: `C#${CUSTOMER}`, sk: indexItem(6, 0, []).sk });
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
