import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient, QueryCommandInput, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { localLambdaContext } from '../../local/lambda-context';

const TABLE_NAME = 'event-counts-unit';
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const hourPart = (hour: number) => `2021-03-01T${String(hour).padStart(2, '0')}`;
const MINUTE = 60_000;

type ApiHandlerModule = typeof import('../../lambda/api-handler');
type QueryCommandClass = typeof import('@aws-sdk/lib-dynamodb').QueryCommand;

interface LoadedHandler {
  handler: ApiHandlerModule['handler'];
  ddb: AwsClientStub<DynamoDBDocumentClient>;
  QueryCommand: QueryCommandClass;
}

/**
 * Imports lambda/api-handler.ts afresh with `env` in place, since it reads its configuration once
 * at import. The SDK is imported in the same module registry, so the mock and the command class
 * the matchers compare against are the ones the handler uses.
 */
async function loadHandler(env: Record<string, string | undefined>): Promise<LoadedHandler> {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const assign = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  let loaded: LoadedHandler | undefined;
  assign(env);
  try {
    await jest.isolateModulesAsync(async () => {
      const { DynamoDBDocumentClient, QueryCommand } = await import('@aws-sdk/lib-dynamodb');
      const ddb = mockClient(DynamoDBDocumentClient);
      const { handler } = await import('../../lambda/api-handler');
      loaded = { handler, ddb, QueryCommand };
    });
  } finally {
    assign(saved);
  }
  if (loaded === undefined) throw new Error('lambda/api-handler did not load');
  return loaded;
}

const LAMBDA_ENV = { TABLE_NAME, DYNAMODB_ENDPOINT: undefined, AWS_REGION: 'eu-west-1' };

/** Packs sorted millisecond offsets as docs/data-model.md describes: little-endian uint32. */
function packOffsets(offsets: number[]): Uint8Array {
  const bytes = new Uint8Array(offsets.length * 4);
  const view = new DataView(bytes.buffer);
  offsets.forEach((offset, i) => {
    view.setUint32(i * 4, offset, true);
  });
  return bytes;
}

type Item = Record<string, unknown> & { pk: string; sk: string };

const counterItem = (hour: number, count: number): Item => ({
  pk: `C#${CUSTOMER}`,
  sk: `H#${hourPart(hour)}`,
  count,
  hour: `${hourPart(hour)}:00:00.000Z`,
});

const indexItem = (hour: number, part: number, offsets: number[]): Item => ({
  pk: `C#${CUSTOMER}`,
  sk: `I#${hourPart(hour)}#load-1#${String(part).padStart(4, '0')}`,
  events: offsets.length,
  offsets: packOffsets(offsets),
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

function apiEvent(query: Record<string, string>): APIGatewayProxyEventV2 {
  const rawPath = `/v1/customers/${CUSTOMER}/event_counts`;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: {},
    queryStringParameters: query,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: 'api-gateway-request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Mar/2021:04:00:00 +0000',
      timeEpoch: 0,
    },
  };
}

interface CountsBody {
  total: number;
  buckets: { starting_at: string; count: number }[];
}

describe('lambda/api-handler handler', () => {
  let loaded: LoadedHandler;
  let infoLog: jest.SpyInstance;
  let errorLog: jest.SpyInstance;

  beforeAll(async () => {
    loaded = await loadHandler(LAMBDA_ENV);
  });

  beforeEach(() => {
    loaded.ddb.reset();
    infoLog = jest.spyOn(console, 'log').mockImplementation(() => {});
    errorLog = jest.spyOn(console, 'error').mockImplementation(() => {});
  });

  afterEach(() => {
    infoLog.mockRestore();
    errorLog.mockRestore();
  });

  afterAll(() => {
    loaded.ddb.restore();
  });

  async function get(query: Record<string, string>) {
    const response = await loaded.handler(apiEvent(query), localLambdaContext('lambda-request-1'));
    return { response, body: JSON.parse(response.body ?? '') as CountsBody };
  }

  const queryInputs = () =>
    loaded.ddb.commandCalls(loaded.QueryCommand).map((call) => call.args[0].input as QueryCommandInput);

  it('reads the counters of the range with one Query: table name, BETWEEN on the sort key, #count aliased', async () => {
    const items = [counterItem(3, 99), counterItem(4, 408), counterItem(5, 1133), counterItem(7, 99)];
    loaded.ddb.on(loaded.QueryCommand).callsFake(queryTable(items, 100));

    const { response, body } = await get({
      starting_at: '2021-03-01T04:00:00Z',
      ending_before: '2021-03-01T07:00:00Z',
    });

    expect(response.statusCode).toBe(200);
    expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 0]);
    expect(loaded.ddb).toHaveReceivedCommandTimes(loaded.QueryCommand, 1);
    expect(loaded.ddb).toHaveReceivedCommandWith(loaded.QueryCommand, {
      TableName: TABLE_NAME,
      KeyConditionExpression: expect.stringMatching(/ BETWEEN :\w+ AND :\w+/),
      ExpressionAttributeNames: expect.objectContaining({ '#count': 'count' }),
    });
  });

  it('names no reserved word (count, hour) directly in any expression', async () => {
    loaded.ddb.on(loaded.QueryCommand).callsFake(queryTable([], 100));

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
    loaded.ddb.on(loaded.QueryCommand).callsFake(queryTable(items, 1));

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
    loaded.ddb.on(loaded.QueryCommand).callsFake(queryTable(items, 1));

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
    expect(new Set(keys)).toEqual(new Set([`I#${hourPart(6)}#`, `I#${hourPart(6)}$`]));
    // Two index fragments at one item a page: two pages, the second after the first fragment.
    expect(indexQueries).toHaveLength(2);
    expect(indexQueries[1]?.ExclusiveStartKey).toEqual({ pk: `C#${CUSTOMER}`, sk: indexItem(6, 0, []).sk });
  });

  it('answers 503 when DynamoDB throttles the Query', async () => {
    loaded.ddb.on(loaded.QueryCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: `Throughput exceeded for table ${TABLE_NAME}`,
        $metadata: { httpStatusCode: 400 },
      }),
    );

    const response = await loaded.handler(
      apiEvent({ starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T05:00:00Z' }),
      localLambdaContext('lambda-request-2'),
    );

    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('lambda-request-2');
    expect(response.body).not.toContain(TABLE_NAME);
  });

  it('logs one structured line per request with the request id and status', async () => {
    loaded.ddb.on(loaded.QueryCommand).callsFake(queryTable([], 100));

    await get({ starting_at: '2021-03-01T04:00:00Z', ending_before: '2021-03-01T05:00:00Z' });

    expect(infoLog).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(infoLog.mock.calls[0]?.[0]))).toMatchObject({
      requestId: 'lambda-request-1',
      status: 200,
    });
  });
});

describe('lambda/api-handler configuration', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])('fails at import with a message naming TABLE_NAME when it is %s', async (_case, tableName) => {
    await expect(loadHandler({ ...LAMBDA_ENV, TABLE_NAME: tableName })).rejects.toThrow(
      /TABLE_NAME is required/,
    );
  });
});
