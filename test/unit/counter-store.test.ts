import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceInUseException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { type CounterStore, createCounterStore } from '../../core/counter-store';
import { DIGEST_ENTRY_BYTES, packDigests } from '../../core/digests';
import {
  CorruptItemError,
  StoreThrottledError,
  StoreUnavailableError,
  TableFormatError,
  TableNotFoundError,
  WriteConflictError,
} from '../../core/errors';
import {
  counterKey,
  DIRECTORY_SHARDS,
  digestFragmentKey,
  directoryKey,
  directoryPk,
  directoryShard,
  FORMAT_KEY,
  hourRange,
  indexMinuteRange,
  indexWholeKey,
  indexWholeRange,
  LEGACY_DIRECTORY_PK,
  TABLE_FORMAT,
} from '../../core/keys';
import type { RetryPolicy } from '../../core/retry';
import { createTableInput } from '../../core/table-format';
import { packOffsets } from '../../core/time-index';
import { type PlannedTransaction, planTransactions } from '../../core/write-plan';
import { indexItemsOfWrite, packedUint16 } from '../support/offsets';

const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);
const TABLE_NAME = 'event-counts-unit';

const ddb = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({
  region: 'local',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
});
/** The plain client: only ensureTable sends to it (DescribeTable, CreateTable). */
const raw = mockClient(client);

/** Retries at once: no sleeping in unit tests. */
const fastRetries: RetryPolicy = {
  maxElapsedMs: 60_000,
  baseDelayMs: 1,
  maxDelayMs: 1,
  sleep: async () => {},
};

/** A policy whose clock only moves when it sleeps: gives up after about `maxElapsedMs / 50` attempts. */
function budgetedRetries(maxElapsedMs = 1_000): RetryPolicy {
  let clock = 0;
  return {
    maxElapsedMs,
    baseDelayMs: 100,
    maxDelayMs: 100,
    sleep: async (ms) => {
      clock += ms;
    },
    random: () => 0.5,
    now: () => clock,
  };
}

const storeWith = (options: Partial<Parameters<typeof createCounterStore>[0]> = {}): CounterStore =>
  createCounterStore({ client, tableName: TABLE_NAME, retryPolicy: fastRetries, ...options });

const canceled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const throttled = () =>
  new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } });

const serverError = () =>
  new InternalServerError({ message: 'Internal server error', $metadata: { httpStatusCode: 500 } });

/** What the SDK throws when a response never arrives: the request may or may not have been applied. */
const timedOut = () =>
  Object.assign(new Error('socket hang up: request timed out'), { name: 'TimeoutError' });

const serviceError = (name: string, message: string) =>
  new DynamoDBServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });

const conditionFailed = () =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
  });

const tableMissing = () =>
  new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });

const rangeValues = ({ first, last }: { first: string; last: string }) => ({
  ':first': first,
  ':last': last,
});

const queryInputs = () =>
  ddb.commandCalls(QueryCommand).map((call) => call.args[0].input as QueryCommandInput);

beforeEach(() => {
  ddb.reset();
  raw.reset();
});

afterAll(() => {
  ddb.restore();
  raw.restore();
});

describe('createCounterStore queryHourCounts', () => {
  it('reads the counters of the hours with one BETWEEN on H# keys, the reserved word aliased', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await storeWith().queryHourCounts('alpha', FIRST_HOUR, FIRST_HOUR + 5 * HOUR);

    const [input] = queryInputs();
    expect(input?.TableName).toBe(TABLE_NAME);
    expect(input?.KeyConditionExpression).toBe('#pk = :pk AND #sk BETWEEN :first AND :last');
    expect(input?.ExpressionAttributeValues).toEqual({
      ':pk': counterKey('alpha', FIRST_HOUR).pk,
      ':first': counterKey('alpha', FIRST_HOUR).sk,
      ':last': counterKey('alpha', FIRST_HOUR + 5 * HOUR).sk,
    });
    expect(input?.ProjectionExpression).toBe('#sk, #count');
    expect(input?.ExpressionAttributeNames).toEqual({ '#pk': 'pk', '#sk': 'sk', '#count': 'count' });
    expect(input?.ProjectionExpression).not.toMatch(/(^|[^#])\bcount\b/);
  });

  it('follows LastEvaluatedKey until the last page and returns the counts by hour start', async () => {
    const lastKey = counterKey('alpha', FIRST_HOUR + HOUR);
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { sk: counterKey('alpha', FIRST_HOUR).sk, count: 3 },
          { sk: lastKey.sk, count: 1 },
        ],
        LastEvaluatedKey: lastKey,
      })
      .resolvesOnce({ Items: [{ sk: counterKey('alpha', FIRST_HOUR + 4 * HOUR).sk, count: 7 }] });

    const counts = await storeWith().queryHourCounts('alpha', FIRST_HOUR, FIRST_HOUR + 5 * HOUR);

    expect(counts).toEqual(
      new Map([
        [FIRST_HOUR, 3],
        [FIRST_HOUR + HOUR, 1],
        [FIRST_HOUR + 4 * HOUR, 7],
      ]),
    );
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(queryInputs()[0]?.ExclusiveStartKey).toBeUndefined();
    expect(queryInputs()[1]?.ExclusiveStartKey).toEqual(lastKey);
  });

  it('reports the capacity of every page when asked to, and asks DynamoDB for it only then', async () => {
    const consumed: unknown[] = [];
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [],
        Count: 0,
        ConsumedCapacity: { CapacityUnits: 0.5 },
        LastEvaluatedKey: { pk: 'x' },
      })
      .resolvesOnce({ Items: [], Count: 0, ConsumedCapacity: { CapacityUnits: 1.5 } })
      .resolves({ Items: [] });

    await storeWith({ onConsumedCapacity: (c) => consumed.push(c) }).queryHourCounts(
      'alpha',
      FIRST_HOUR,
      FIRST_HOUR,
    );
    await storeWith().queryHourCounts('alpha', FIRST_HOUR, FIRST_HOUR);

    const read = { read: 'counters', customerId: 'alpha', firstHour: FIRST_HOUR, lastHour: FIRST_HOUR };
    expect(consumed).toEqual([
      { ...read, items: 0, capacityUnits: 0.5 },
      { ...read, items: 0, capacityUnits: 1.5 },
    ]);
    expect(queryInputs().map((input) => input.ReturnConsumedCapacity)).toEqual(['TOTAL', 'TOTAL', undefined]);
  });

  it("leaves retries to the client's own attempts and translates the error", async () => {
    ddb.on(QueryCommand).rejects(throttled());

    await expect(storeWith().queryHourCounts('alpha', FIRST_HOUR, FIRST_HOUR)).rejects.toBeInstanceOf(
      StoreThrottledError,
    );
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('throws TableNotFoundError naming the table when it does not exist', async () => {
    ddb.on(QueryCommand).rejects(tableMissing());

    const query = storeWith().queryHourCounts('alpha', FIRST_HOUR, FIRST_HOUR);

    await expect(query).rejects.toBeInstanceOf(TableNotFoundError);
    await expect(query).rejects.toThrow(`table ${TABLE_NAME} does not exist`);
  });
});

describe('createCounterStore countEventsInHour and readHourIndex', () => {
  const MINUTE = 60_000;
  type Stored = Record<string, unknown>;
  const hourPart = '2021-03-01T00';

  /** The time index items of writes (offsets, stored whole or split), as the table holds them. */
  const indexItems = (writes: { offsets: number[]; split: boolean }[]): Stored[] =>
    writes.flatMap(({ offsets, split }, i) =>
      indexItemsOfWrite(i + 1, offsets, split).map(({ suffix, attributes }) => ({
        pk: 'C#alpha',
        sk: `I#${hourPart}#${suffix}`,
        ...attributes,
      })),
    );

  /** Answers each Query with the stored items in its BETWEEN, like DynamoDB: `reads` in turn, the last one after. */
  function serve(...reads: Stored[][]) {
    let whole = 0;
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const values = input.ExpressionAttributeValues ?? {};
      const first = String(values[':first']);
      const last = String(values[':last']);
      const isWhole = first === indexWholeRange(FIRST_HOUR).first;
      const items = reads[Math.min(isWhole ? whole++ : Math.max(whole - 1, 0), reads.length - 1)] ?? [];
      const selected = items.filter((item) => String(item.sk) >= first && String(item.sk) <= last);
      return { Items: selected, Count: selected.length };
    });
  }

  const writes = [
    { offsets: [1, 59_999, 60_000, 5 * MINUTE + 7, 5 * MINUTE + 7, 59 * MINUTE + 1], split: false },
    { offsets: [0, 2, 5 * MINUTE, 5 * MINUTE + 6, 5 * MINUTE + 8, 30 * MINUTE, HOUR - 1], split: true },
    { offsets: [5 * MINUTE + 7, 5 * MINUTE + 9_999, 6 * MINUTE, 40 * MINUTE + 1], split: true },
  ];
  const all = writes.flatMap((w) => w.offsets);
  const brute = (from: number, to: number) => all.filter((o) => o >= from && o < to).length;

  it("queries the hour's W items and the parts of the cut minutes only, with aliased projections", async () => {
    serve([]);

    await storeWith().countEventsInHour('alpha', FIRST_HOUR, 5 * MINUTE + 7, 30 * MINUTE);

    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    const [whole, minute] = queryInputs();
    expect(whole).toMatchObject({
      TableName: TABLE_NAME,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeValues: { ':pk': 'C#alpha', ...rangeValues(indexWholeRange(FIRST_HOUR)) },
      ProjectionExpression: '#sk, #events, #offsets, #minutes',
      ExpressionAttributeNames: {
        '#pk': 'pk',
        '#sk': 'sk',
        '#events': 'events',
        '#offsets': 'offsets',
        '#minutes': 'minutes',
      },
    });
    expect(minute).toMatchObject({
      ExpressionAttributeValues: { ':pk': 'C#alpha', ...rangeValues(indexMinuteRange(FIRST_HOUR, 5)) },
      ProjectionExpression: '#sk, #offsets',
    });
  });

  it('reads the W items alone for cuts on minute boundaries', async () => {
    serve(indexItems(writes));

    await expect(storeWith().countEventsInHour('alpha', FIRST_HOUR, MINUTE, 30 * MINUTE)).resolves.toBe(
      brute(MINUTE, 30 * MINUTE),
    );
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
  });

  it('counts [from, to) like a brute-force count of whole and split writes at many cuts', async () => {
    serve(indexItems(writes));
    const store = storeWith();
    const cuts = [
      0,
      1,
      2,
      3,
      59_999,
      MINUTE,
      5 * MINUTE + 7,
      5 * MINUTE + 8,
      5 * MINUTE + 10_000,
      30 * MINUTE + 1,
      HOUR - 1,
      HOUR,
    ];

    for (const from of cuts) {
      for (const to of cuts.filter((cut) => cut > from)) {
        const count = await store.countEventsInHour('alpha', FIRST_HOUR, from, to);
        expect([from, to, count]).toEqual([from, to, brute(from, to)]);
      }
    }
  });

  it('follows the pages of the W query', async () => {
    const items = indexItems(writes);
    const wholeItems = items.filter((item) => String(item.sk).includes('#W#'));
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: wholeItems.slice(0, 1),
        LastEvaluatedKey: indexWholeKey('alpha', FIRST_HOUR, 1),
      })
      .resolvesOnce({ Items: wholeItems.slice(1) });

    await expect(storeWith().countEventsInHour('alpha', FIRST_HOUR, 0, MINUTE)).resolves.toBe(
      brute(0, MINUTE),
    );
    expect(queryInputs()[1]?.ExclusiveStartKey).toEqual(indexWholeKey('alpha', FIRST_HOUR, 1));
  });

  it('counts nothing in an hour without items, and reads it as consistent', async () => {
    serve([]);

    const read = await storeWith().readHourIndex('alpha', FIRST_HOUR, [3]);

    expect(read).toMatchObject({ consistent: true, index: { writes: 0, events: 0 } });
    await expect(storeWith().countEventsInHour('alpha', FIRST_HOUR, 1, HOUR)).resolves.toBe(0);
  });

  it("reads again when it saw a split write's W item without its minute part, and counts the repeat", async () => {
    const complete = indexItems(writes);
    const torn = complete.filter((item) => item.sk !== `I#${hourPart}#M05#000002`);
    serve(torn, complete);

    const read = await storeWith().readHourIndex('alpha', FIRST_HOUR, [5]);

    expect(read.consistent).toBe(true);
    expect(read.index.events).toBe(all.length);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 4);
  });

  it('gives up after three torn reads: counts what it saw and marks the read inconsistent', async () => {
    const torn = indexItems(writes).filter((item) => item.sk !== `I#${hourPart}#M05#000002`);
    serve(torn);

    const read = await storeWith().readHourIndex('alpha', FIRST_HOUR, [5]);

    expect(read.consistent).toBe(false);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 6);
    // Without write 2's part of minute 5, its event at 05:00.000 is not seen before the cut.
    await expect(storeWith().countEventsInHour('alpha', FIRST_HOUR, 5 * MINUTE + 1, HOUR)).resolves.toBe(
      brute(5 * MINUTE + 1, HOUR) + 1,
    );
  });

  it('marks a read that missed a write between two it saw as inconsistent', async () => {
    serve(indexItems(writes).filter((item) => item.sk !== `I#${hourPart}#W#000002`));

    await expect(storeWith().readHourIndex('alpha', FIRST_HOUR, [])).resolves.toMatchObject({
      consistent: false,
    });
  });

  it('leaves out the parts of a write newer than every W item it saw', async () => {
    const items = indexItems(writes).filter((item) => item.sk !== `I#${hourPart}#W#000003`);
    serve(items);

    const read = await storeWith().readHourIndex('alpha', FIRST_HOUR, [5]);

    expect(read.consistent).toBe(true);
    expect(read.index.writes).toBe(2);
    expect([...(read.index.minutes.get(5) ?? [])]).toEqual([0, 6, 8]);
  });

  it('reports each index Query to onConsumedCapacity, with the minute of a part read', async () => {
    serve(indexItems(writes));
    const reads: unknown[] = [];

    await storeWith({ onConsumedCapacity: (consumed) => reads.push(consumed) }).readHourIndex(
      'alpha',
      FIRST_HOUR,
      [5],
    );

    expect(reads).toEqual(
      expect.arrayContaining([
        { read: 'index', customerId: 'alpha', hour: FIRST_HOUR, items: 3, capacityUnits: 0 },
        { read: 'index', customerId: 'alpha', hour: FIRST_HOUR, minute: 5, items: 2, capacityUnits: 0 },
      ]),
    );
  });

  const whole = (sk: string, attributes: Stored) => ({
    pk: 'C#alpha',
    sk: `I#${hourPart}#${sk}`,
    ...attributes,
  });
  it.each([
    [
      'a W item without offsets or minutes',
      [whole('W#000001', { events: 2 })],
      'expected 8 bytes of offsets',
    ],
    [
      'offsets of another length than its events',
      [whole('W#000001', { events: 2, offsets: packOffsets(Uint32Array.from([1])) })],
      'expected 8 bytes',
    ],
    ['offsets as text', [whole('W#000001', { events: 1, offsets: 'AAAA' })], 'has offsets string'],
    [
      'an offset past the hour',
      [whole('W#000001', { events: 1, offsets: packOffsets(Uint32Array.from([HOUR])) })],
      'past the hour',
    ],
    [
      'a W item without events',
      [whole('W#000001', { offsets: new Uint8Array(4) })],
      'is not a time index item',
    ],
    [
      'a histogram that does not add up',
      [whole('W#000001', { events: 3, minutes: packedUint16(new Array(60).fill(0)) })],
      'does not add up to its 3 events',
    ],
    [
      'a part of another length than its histogram says',
      [
        whole('W#000001', { events: 1, minutes: packedUint16([0, 1, ...new Array(58).fill(0)]) }),
        whole('M01#000001', { offsets: packedUint16([1, 2]) }),
      ],
      'holds 4 bytes; its write has 1 events in it',
    ],
    [
      'a part offset past the minute',
      [
        whole('W#000001', { events: 1, minutes: packedUint16([0, 1, ...new Array(58).fill(0)]) }),
        whole('M01#000001', { offsets: packedUint16([MINUTE]) }),
      ],
      'past the minute',
    ],
  ])('throws a CorruptItemError naming the item for %s', async (_case, items, message) => {
    serve(items);

    const count = storeWith().countEventsInHour('alpha', FIRST_HOUR, MINUTE + 1, HOUR);

    await expect(count).rejects.toThrow(CorruptItemError);
    await expect(storeWith().countEventsInHour('alpha', FIRST_HOUR, MINUTE + 1, HOUR)).rejects.toThrow(
      message,
    );
    await expect(storeWith().countEventsInHour('alpha', FIRST_HOUR, MINUTE + 1, HOUR)).rejects.toThrow(
      `C#alpha I#${hourPart}#`,
    );
  });
});

describe('createCounterStore readHourState', () => {
  const entries = (...words: [number, number, number][]) =>
    packDigests(
      Uint32Array.from(words, (w) => w[0]),
      Uint32Array.from(words, (w) => w[1]),
      Uint32Array.from(words, (w) => w[2]),
    );

  it("reads the hour's digest fragments consistently", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await storeWith().readHourState('alpha', FIRST_HOUR);

    const { first, last } = hourRange('X', FIRST_HOUR);
    expect(queryInputs()[0]).toMatchObject({
      TableName: TABLE_NAME,
      ConsistentRead: true,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeValues: { ':pk': 'C#alpha', ':first': first, ':last': last },
    });
    const { ProjectionExpression, ExpressionAttributeNames } = queryInputs()[0] ?? {};
    for (const name of ProjectionExpression?.match(/#\w+/g) ?? []) {
      expect(ExpressionAttributeNames).toHaveProperty([name]);
    }
  });

  it('returns the number of the last write as the version, and every fragment, over every page', async () => {
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { sk: digestFragmentKey('alpha', FIRST_HOUR, 1, 0).sk, digests: entries([1, 1, 11], [5, 0, 55]) },
        ],
        LastEvaluatedKey: digestFragmentKey('alpha', FIRST_HOUR, 1, 0),
      })
      .resolvesOnce({
        Items: [{ sk: digestFragmentKey('alpha', FIRST_HOUR, 2, 0).sk, digests: entries([3, 3, 33]) }],
      });

    const state = await storeWith().readHourState('alpha', FIRST_HOUR);

    expect(state.version).toBe(2);
    expect(state.fragments.map((fragment) => fragment.length)).toEqual([2, 1]);
    expect(state.fragments[0]?.find(5, 0)).toBe(55);
    expect(state.fragments[1]?.find(3, 3)).toBe(33);
    expect(queryInputs()[1]?.ExclusiveStartKey).toEqual(digestFragmentKey('alpha', FIRST_HOUR, 1, 0));
  });

  it('returns version 0 and no fragments for an hour never written', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });

    await expect(storeWith().readHourState('alpha', FIRST_HOUR)).resolves.toEqual({
      version: 0,
      fragments: [],
    });
  });

  it('retries throttling, as a load does', async () => {
    ddb
      .on(QueryCommand)
      .rejectsOnce(throttled())
      .resolves({
        Items: [{ sk: digestFragmentKey('alpha', FIRST_HOUR, 1, 0).sk, digests: entries([1, 2, 3]) }],
      });

    await expect(storeWith().readHourState('alpha', FIRST_HOUR)).resolves.toMatchObject({ version: 1 });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
  });

  it('reads again when a write is missing below the last one seen (a Query is only read-committed)', async () => {
    const fragment = (write: number) => ({
      sk: digestFragmentKey('alpha', FIRST_HOUR, write, 0).sk,
      digests: entries([write, write, write]),
    });
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [fragment(1), fragment(3)] })
      .resolves({ Items: [fragment(1), fragment(2), fragment(3)] });

    const state = await storeWith().readHourState('alpha', FIRST_HOUR);

    expect(state.version).toBe(3);
    expect(state.fragments).toHaveLength(3);
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
  });

  it('rejects a digest fragment of a misaligned length', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        {
          sk: digestFragmentKey('alpha', FIRST_HOUR, 1, 0).sk,
          digests: new Uint8Array(DIGEST_ENTRY_BYTES + 1),
        },
      ],
    });

    await expect(storeWith().readHourState('alpha', FIRST_HOUR)).rejects.toThrow(CorruptItemError);
  });
});

describe('createCounterStore commit', () => {
  /** A small planned transaction of two hours of one customer, as a load commits it. */
  function plannedTransaction(): PlannedTransaction {
    const write = (hour: number, version: number) => ({
      customerId: 'alpha',
      hour,
      version,
      offsets: Uint32Array.from([10, 20, 30]),
      digests: packDigests(
        Uint32Array.from([1, 2, 3]),
        Uint32Array.from([0, 0, 0]),
        Uint32Array.from([7, 8, 9]),
      ),
    });
    const [transaction, ...rest] = planTransactions(TABLE_NAME, [
      write(FIRST_HOUR, 0),
      write(FIRST_HOUR + HOUR, 3),
    ]);
    expect(rest).toHaveLength(0);
    return transaction as PlannedTransaction;
  }

  const sentInputs = () =>
    ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input as TransactWriteCommandInput);

  it('sends the planned items in one transaction under a client request token', async () => {
    const transaction = plannedTransaction();
    ddb.on(TransactWriteCommand).resolves({});

    await expect(storeWith().commit(transaction)).resolves.toBe('committed');

    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const [input] = sentInputs();
    expect(input?.TransactItems).toEqual(transaction.items);
    expect(input?.ClientRequestToken).toEqual(expect.stringMatching(/^[\w-]{1,36}$/));
  });

  it('uses a new token for each transaction', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const store = storeWith();

    await store.commit(plannedTransaction());
    await store.commit(plannedTransaction());

    const [first, second] = sentInputs();
    expect(first?.ClientRequestToken).not.toBe(second?.ClientRequestToken);
  });

  it.each([
    ['TransactionConflict', ['None', 'TransactionConflict', 'None']],
    ['ThrottlingError', ['ThrottlingError', 'None']],
    ['ProvisionedThroughputExceeded', ['None', 'ProvisionedThroughputExceeded']],
    ['RequestLimitExceeded', ['RequestLimitExceeded']],
    ['a conflict and throttling', ['TransactionConflict', 'ThrottlingError']],
  ])('retries a cancellation for %s with the same token and input, then commits', async (_case, codes) => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled(...codes))
      .rejectsOnce(canceled(...codes))
      .resolves({});

    await expect(storeWith().commit(plannedTransaction())).resolves.toBe('committed');

    const inputs = sentInputs();
    expect(inputs).toHaveLength(3);
    expect(inputs[0]?.ClientRequestToken).toEqual(expect.any(String));
    expect(inputs[1]).toEqual(inputs[0]);
    expect(inputs[2]).toEqual(inputs[0]);
  });

  it.each([
    ['a TimeoutError', timedOut],
    ['a 500 InternalServerError', serverError],
    ['a reset connection', () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['throttling of the whole request', throttled],
    [
      'the same transaction still in progress',
      () => serviceError('TransactionInProgressException', 'Transaction with the same token is in progress'),
    ],
  ])(
    'retries after %s with the same token, so a commit whose response was lost is not applied twice',
    async (_case, failure) => {
      ddb.on(TransactWriteCommand).rejectsOnce(failure()).resolves({});

      await expect(storeWith().commit(plannedTransaction())).resolves.toBe('committed');

      const inputs = sentInputs();
      expect(inputs).toHaveLength(2);
      expect(inputs[1]?.ClientRequestToken).toBe(inputs[0]?.ClientRequestToken);
      expect(inputs[1]).toEqual(inputs[0]);
    },
  );

  it.each([
    ['a failed fragment condition', ['ConditionalCheckFailed', 'None', 'None']],
    ['a failed fragment condition next to a conflict', ['ConditionalCheckFailed', 'TransactionConflict']],
    [
      'failed conditions on two hours',
      ['ConditionalCheckFailed', 'None', 'None', 'None', 'ConditionalCheckFailed'],
    ],
  ])("returns 'stale' without retrying for %s", async (_case, codes) => {
    ddb.on(TransactWriteCommand).rejects(canceled(...codes));

    await expect(storeWith().commit(plannedTransaction())).resolves.toBe('stale');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it("returns 'stale' when a retried conflict turns into a failed condition", async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled('TransactionConflict', 'None'))
      .rejectsOnce(canceled('ConditionalCheckFailed', 'None'))
      .resolves({});

    await expect(storeWith().commit(plannedTransaction())).resolves.toBe('stale');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it.each([
    ['ValidationError', ['None', 'ValidationError']],
    ['ItemCollectionSizeLimitExceeded', ['ItemCollectionSizeLimitExceeded', 'None']],
    ['a failed condition and a ValidationError', ['ConditionalCheckFailed', 'ValidationError']],
  ])('throws a cancellation for %s after one attempt, unchanged', async (_case, codes) => {
    const error = canceled(...codes);
    ddb.on(TransactWriteCommand).rejects(error);

    await expect(storeWith().commit(plannedTransaction())).rejects.toBe(error);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('throws a ValidationException after one attempt, unchanged', async () => {
    const error = serviceError(
      'ValidationException',
      'Transaction request cannot include multiple operations on one item',
    );
    ddb.on(TransactWriteCommand).rejects(error);

    await expect(storeWith().commit(plannedTransaction())).rejects.toBe(error);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it.each([
    ['conflicting', () => canceled('None', 'TransactionConflict'), WriteConflictError],
    ['throttled', () => canceled('ThrottlingError'), StoreThrottledError],
    ['failing with 500', serverError, StoreUnavailableError],
    ['cancelled without a failed action', () => canceled('None', 'None'), StoreUnavailableError],
  ])(
    'gives up once the retry time is spent when it keeps %s, with a named error',
    async (_case, failure, named) => {
      ddb.on(TransactWriteCommand).callsFake(() => Promise.reject(failure()));

      const commit = storeWith({ retryPolicy: budgetedRetries(1_000) }).commit(plannedTransaction());

      await expect(commit).rejects.toBeInstanceOf(named);
      const attempts = ddb.commandCalls(TransactWriteCommand).length;
      expect(attempts).toBeGreaterThan(1);
      expect(attempts).toBeLessThanOrEqual(1 + 1_000 / 50);
      const tokens = new Set(sentInputs().map((input) => input.ClientRequestToken));
      expect(tokens.size).toBe(1);
    },
  );

  it('throws TableNotFoundError when the table does not exist', async () => {
    ddb.on(TransactWriteCommand).rejects(tableMissing());

    await expect(storeWith().commit(plannedTransaction())).rejects.toBeInstanceOf(TableNotFoundError);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('reports the write capacity units the transaction consumed, summed over its tables', async () => {
    const consumed: number[] = [];
    ddb.on(TransactWriteCommand).resolves({
      ConsumedCapacity: [
        { TableName: TABLE_NAME, CapacityUnits: 12 },
        { TableName: TABLE_NAME, CapacityUnits: 2.5 },
      ],
    });

    await storeWith({ onWriteCapacity: (units) => consumed.push(units) }).commit(plannedTransaction());

    expect(consumed).toEqual([14.5]);
    expect(sentInputs()[0]?.ReturnConsumedCapacity).toBe('TOTAL');
  });

  it('asks for no capacity without a listener, and reports none for a stale transaction', async () => {
    const consumed: number[] = [];
    ddb.on(TransactWriteCommand).rejectsOnce(canceled('ConditionalCheckFailed')).resolves({});

    await storeWith({ onWriteCapacity: (units) => consumed.push(units) }).commit(plannedTransaction());
    await storeWith().commit(plannedTransaction());

    expect(consumed).toEqual([]);
    expect(sentInputs()[1]?.ReturnConsumedCapacity).toBeUndefined();
  });
});

describe('createCounterStore widenCustomerSpan', () => {
  const first = Date.UTC(2021, 2, 1, 4, 5);
  const last = Date.UTC(2021, 2, 3, 23, 59);
  const updateInputs = () =>
    ddb.commandCalls(UpdateCommand).map((call) => call.args[0].input as UpdateCommandInput);

  it("sends two conditional updates that only move the customer's bounds outward", async () => {
    ddb.on(UpdateCommand).resolves({});

    await storeWith().widenCustomerSpan('alpha', first, last);

    const sent = updateInputs().sort((a, b) =>
      String(a.ExpressionAttributeNames?.['#at']).localeCompare(String(b.ExpressionAttributeNames?.['#at'])),
    );
    expect(sent).toEqual([
      {
        TableName: TABLE_NAME,
        Key: directoryKey('alpha'),
        UpdateExpression: 'SET #at = :time',
        ConditionExpression: 'attribute_not_exists(#at) OR #at > :time',
        ExpressionAttributeNames: { '#at': 'firstEventAt' },
        ExpressionAttributeValues: { ':time': first },
      },
      {
        TableName: TABLE_NAME,
        Key: directoryKey('alpha'),
        UpdateExpression: 'SET #at = :time',
        ConditionExpression: 'attribute_not_exists(#at) OR #at < :time',
        ExpressionAttributeNames: { '#at': 'lastEventAt' },
        ExpressionAttributeValues: { ':time': last },
      },
    ]);
  });

  it('treats a failed condition as "already wider" and resolves', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());

    await expect(storeWith().widenCustomerSpan('alpha', first, last)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('retries throttling, then resolves', async () => {
    ddb.on(UpdateCommand).rejectsOnce(throttled()).resolves({});

    await expect(storeWith().widenCustomerSpan('alpha', first, last)).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 3);
  });

  it('throws a validation error unchanged after one attempt per update', async () => {
    const error = serviceError('ValidationException', 'Invalid UpdateExpression');
    ddb.on(UpdateCommand).rejects(error);

    await expect(storeWith().widenCustomerSpan('alpha', first, last)).rejects.toBe(error);
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('translates other errors: a missing table, retries spent on a failing service', async () => {
    ddb.on(UpdateCommand).rejects(tableMissing());
    await expect(storeWith().widenCustomerSpan('alpha', first, last)).rejects.toBeInstanceOf(
      TableNotFoundError,
    );

    ddb.reset();
    ddb.on(UpdateCommand).callsFake(() => Promise.reject(serverError()));
    await expect(
      storeWith({ retryPolicy: budgetedRetries(500) }).widenCustomerSpan('alpha', first, last),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('createCounterStore getCustomer', () => {
  it("reads the customer's directory entry as a summary", async () => {
    ddb.on(GetCommand).resolves({
      Item: { ...directoryKey('alpha'), total: 42, firstEventAt: 1_000, lastEventAt: 2_000 },
    });

    await expect(storeWith().getCustomer('alpha')).resolves.toEqual({
      customerId: 'alpha',
      totalEvents: 42,
      firstEventAt: 1_000,
      lastEventAt: 2_000,
    });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: TABLE_NAME, Key: directoryKey('alpha') });
  });

  it('returns undefined for a customer without an entry', async () => {
    ddb.on(GetCommand).resolves({});

    await expect(storeWith().getCustomer('nobody')).resolves.toBeUndefined();
  });
});

describe('createCounterStore listCustomers', () => {
  /** Directory entries of `ids`, as DynamoDB would hold them in their shards. */
  function fakeDirectory(ids: string[], pageSize = Number.POSITIVE_INFINITY) {
    const shards = new Map<string, Record<string, unknown>[]>();
    for (const id of [...ids].sort()) {
      const { pk, sk } = directoryKey(id);
      shards.set(pk, [...(shards.get(pk) ?? []), { pk, sk, total: 1, firstEventAt: 10, lastEventAt: 20 }]);
    }
    ddb.on(QueryCommand).callsFake(async (input: QueryCommandInput): Promise<Partial<QueryCommandOutput>> => {
      const values = input.ExpressionAttributeValues ?? {};
      const after = (input.ExclusiveStartKey?.sk ?? values[':after']) as string | undefined;
      const items = (shards.get(String(values[':pk'])) ?? []).filter(
        (item) => after === undefined || String(item.sk) > after,
      );
      const page = items.slice(0, Math.min(input.Limit ?? Number.POSITIVE_INFINITY, pageSize));
      const more = page.length < items.length;
      const lastItem = page.at(-1);
      return {
        Items: page,
        Count: page.length,
        ...(more && lastItem !== undefined ? { LastEvaluatedKey: { pk: lastItem.pk, sk: lastItem.sk } } : {}),
      };
    });
  }

  const ids = Array.from({ length: 40 }, (_, i) => `customer-${String(i).padStart(2, '0')}`);

  it('queries each of the 16 directory shards, never the legacy partition, and never scans', async () => {
    fakeDirectory(ids);

    await storeWith().listCustomers({ limit: 10 });

    const pks = queryInputs().map((input) => input.ExpressionAttributeValues?.[':pk']);
    expect(new Set(pks)).toEqual(new Set(Array.from({ length: DIRECTORY_SHARDS }, (_, s) => directoryPk(s))));
    expect(pks).toHaveLength(DIRECTORY_SHARDS);
    expect(pks).not.toContain(LEGACY_DIRECTORY_PK);
    for (const input of queryInputs()) {
      expect(input.TableName).toBe(TABLE_NAME);
      expect(input.Limit).toBe(11);
    }
  });

  it('merges the shards in customer id order and returns lastCustomerId when more follow', async () => {
    fakeDirectory(ids);

    const page = await storeWith().listCustomers({ limit: 10 });

    expect(page.customers.map((c) => c.customerId)).toEqual(ids.slice(0, 10));
    expect(page.customers[0]).toEqual({
      customerId: ids[0],
      totalEvents: 1,
      firstEventAt: 10,
      lastEventAt: 20,
    });
    expect(page.lastCustomerId).toBe(ids[9]);
  });

  it('starts every shard after `after` and pages through the whole directory', async () => {
    fakeDirectory(ids);
    const store = storeWith();

    const seen: string[] = [];
    let after: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      ddb.resetHistory();
      const page = await store.listCustomers({ limit: 7, after });
      seen.push(...page.customers.map((c) => c.customerId));
      if (after !== undefined) {
        for (const input of queryInputs()) {
          expect(input.KeyConditionExpression).toBe('#pk = :pk AND #sk > :after');
          expect(input.ExpressionAttributeValues?.[':after']).toBe(after);
        }
      }
      after = page.lastCustomerId;
      if (after === undefined) break;
    }

    expect(seen).toEqual(ids);
  });

  it('returns no lastCustomerId when the page holds exactly the last entries', async () => {
    fakeDirectory(ids.slice(0, 10));

    const page = await storeWith().listCustomers({ limit: 10 });

    expect(page.customers).toHaveLength(10);
    expect(page).not.toHaveProperty('lastCustomerId');
  });

  it('returns an empty page for an empty directory', async () => {
    fakeDirectory([]);

    await expect(storeWith().listCustomers({ limit: 5 })).resolves.toEqual({ customers: [] });
  });

  it("follows a shard's LastEvaluatedKey until it has limit + 1 entries", async () => {
    // All in one shard, returned two at a time.
    const crowded = Array.from({ length: 200 }, (_, i) => `c${i}`)
      .filter((id) => directoryShard(id) === 3)
      .slice(0, 9);
    fakeDirectory(crowded, 2);

    const page = await storeWith().listCustomers({ limit: 6 });

    expect(page.customers.map((c) => c.customerId)).toEqual([...crowded].sort().slice(0, 6));
    expect(page.lastCustomerId).toBe([...crowded].sort()[5]);
    const shardQueries = queryInputs().filter(
      (input) => input.ExpressionAttributeValues?.[':pk'] === directoryPk(3),
    );
    expect(shardQueries.map((input) => input.Limit)).toEqual([7, 5, 3, 1]);
  });
});

describe('createCounterStore checkFormat', () => {
  it('accepts a table with this format marker, reading it consistently and writing nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...FORMAT_KEY, format: TABLE_FORMAT } });

    await expect(storeWith().checkFormat()).resolves.toBeUndefined();

    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TABLE_NAME,
      Key: FORMAT_KEY,
      ConsistentRead: true,
    });
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('throws TableFormatError for a marker of another format, writing nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...FORMAT_KEY, format: TABLE_FORMAT + 1 } });

    const check = storeWith().checkFormat();

    await expect(check).rejects.toBeInstanceOf(TableFormatError);
    await expect(check).rejects.toThrow(`has layout ${TABLE_FORMAT + 1}`);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('refuses a table of layout 3 (one time index item per write, no minute parts): this version writes 4', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...FORMAT_KEY, format: 3 } });

    const check = storeWith().checkFormat();

    expect(TABLE_FORMAT).toBe(4);
    await expect(check).rejects.toThrow(
      `table ${TABLE_NAME} has layout 3; this version reads and writes layout 4, and mixing them could count events twice`,
    );
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('throws TableFormatError telling to use a new table when an unmarked table has the legacy directory', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [{ pk: LEGACY_DIRECTORY_PK, sk: 'alpha', total: 3 }] });

    const check = storeWith().checkFormat();

    await expect(check).rejects.toBeInstanceOf(TableFormatError);
    await expect(check).rejects.toThrow(/into a new table/);
    await expect(check).rejects.toThrow(TABLE_NAME);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: TABLE_NAME,
      ExpressionAttributeValues: { ':pk': LEGACY_DIRECTORY_PK },
      Limit: 1,
    });
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('marks an unmarked table without legacy data with this format', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(PutCommand).resolves({});

    await expect(storeWith().checkFormat()).resolves.toBeUndefined();

    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE_NAME,
      Item: { ...FORMAT_KEY, format: TABLE_FORMAT },
    });
  });

  it('retries throttling of its reads, as a load does', async () => {
    ddb
      .on(GetCommand)
      .rejectsOnce(throttled())
      .resolves({ Item: { ...FORMAT_KEY, format: TABLE_FORMAT } });

    await expect(storeWith().checkFormat()).resolves.toBeUndefined();
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 2);
  });

  it('throws TableNotFoundError for a missing table', async () => {
    ddb.on(GetCommand).rejects(tableMissing());

    await expect(storeWith().checkFormat()).rejects.toBeInstanceOf(TableNotFoundError);
  });
});

describe('createCounterStore ensureTable', () => {
  it('leaves an existing table alone', async () => {
    raw.on(DescribeTableCommand).resolves({ Table: { TableName: TABLE_NAME, TableStatus: 'ACTIVE' } });

    await expect(storeWith().ensureTable()).resolves.toBe('exists');
    expect(raw).not.toHaveReceivedCommand(CreateTableCommand);
  });

  it('creates a missing table and waits until it is active', async () => {
    raw
      .on(DescribeTableCommand)
      .rejectsOnce(tableMissing())
      .resolvesOnce({ Table: { TableName: TABLE_NAME, TableStatus: 'CREATING' } })
      .resolves({ Table: { TableName: TABLE_NAME, TableStatus: 'ACTIVE' } });
    raw.on(CreateTableCommand).resolves({});

    await expect(storeWith().ensureTable()).resolves.toBe('created');

    expect(raw).toHaveReceivedCommandTimes(CreateTableCommand, 1);
    expect(raw).toHaveReceivedCommandWith(CreateTableCommand, createTableInput(TABLE_NAME));
    expect(raw).toHaveReceivedCommandTimes(DescribeTableCommand, 3);
  });

  it('creates an on-demand table keyed by string pk and sk', () => {
    expect(createTableInput(TABLE_NAME)).toEqual({
      TableName: TABLE_NAME,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('waits for the table another process created first instead of failing', async () => {
    raw
      .on(DescribeTableCommand)
      .rejectsOnce(tableMissing())
      .resolves({ Table: { TableName: TABLE_NAME, TableStatus: 'ACTIVE' } });
    raw
      .on(CreateTableCommand)
      .rejects(new ResourceInUseException({ message: 'Table already exists', $metadata: {} }));

    await expect(storeWith().ensureTable()).resolves.toEqual(expect.stringMatching(/^(created|exists)$/));
    expect(raw).toHaveReceivedCommandTimes(DescribeTableCommand, 2);
  });

  it('throws other errors of DescribeTable and CreateTable', async () => {
    const denied = serviceError('AccessDeniedException', 'not authorized to perform dynamodb:DescribeTable');
    raw.on(DescribeTableCommand).rejects(denied);
    await expect(storeWith().ensureTable()).rejects.toBe(denied);
    expect(raw).not.toHaveReceivedCommand(CreateTableCommand);

    raw.reset();
    const invalid = serviceError('ValidationException', 'invalid table name');
    raw.on(DescribeTableCommand).rejects(tableMissing());
    raw.on(CreateTableCommand).rejects(invalid);
    await expect(storeWith().ensureTable()).rejects.toBe(invalid);
  });
});
