import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  countOffsetsInRange,
  createCounterStore,
  type HourAggregate,
  MAX_ACTIONS_PER_CHUNK,
  MAX_CHUNK_BYTES,
  MAX_OFFSETS_PER_INDEX_ITEM,
  planChunks,
  type WriteChunk,
} from '../../core/counter-store';
import type { RetryPolicy } from '../../core/retry';

const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);
const TABLE_NAME = 'event-counts-unit';
/** DynamoDB's item size limit. */
const MAX_ITEM_BYTES = 400 * 1024;

/** `count` sorted offsets spread over one hour. */
function offsetsOf(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => Math.floor((i * HOUR) / count));
}

function aggregate(customerId: string, hourIndex: number, events: number): HourAggregate {
  return { customerId, hour: FIRST_HOUR + hourIndex * HOUR, offsets: offsetsOf(events) };
}

/** Every item a chunk writes, the marker included, as a key that is equal for equal items. */
function itemKeys(chunk: WriteChunk): string[] {
  return [
    `marker ${chunk.loadId} ${chunk.sequence}`,
    ...chunk.counters.map((c) => `counter ${c.customerId} ${c.hour}`),
    ...chunk.indexParts.map((p) => `index ${p.customerId} ${p.hour} ${p.part}`),
    ...chunk.customers.map((c) => `directory ${c.customerId}`),
  ];
}

const indexBytes = (chunk: WriteChunk) =>
  chunk.indexParts.reduce((sum, part) => sum + part.offsets.byteLength, 0);

/** Sorted offsets packed as docs/data-model.md describes: little-endian uint32. */
function pack(offsets: number[]): Uint8Array {
  const bytes = new Uint8Array(offsets.length * 4);
  const view = new DataView(bytes.buffer);
  offsets.forEach((offset, i) => {
    view.setUint32(i * 4, offset, true);
  });
  return bytes;
}

describe('planChunks', () => {
  const busy = [
    ...Array.from({ length: 150 }, (_, h) => aggregate('alpha', h, 3)),
    ...Array.from({ length: 80 }, (_, h) => aggregate('bravo', h, 40)),
    aggregate('charlie', 0, 1),
  ];

  it('never plans more than 100 actions in a chunk, the marker included', () => {
    const chunks = planChunks('load-1', busy);

    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(itemKeys(chunk).length).toBeLessThanOrEqual(MAX_ACTIONS_PER_CHUNK);
  });

  it('never writes the same item twice in one chunk', () => {
    for (const chunk of planChunks('load-1', busy)) {
      const keys = itemKeys(chunk);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('writes every counter once with the number of events of its hour', () => {
    const chunks = planChunks('load-1', busy);

    const counters = chunks.flatMap((chunk) => chunk.counters);
    expect(counters).toHaveLength(busy.length);
    expect(new Map(counters.map((c) => [`${c.customerId} ${c.hour}`, c.count]))).toEqual(
      new Map(busy.map((a) => [`${a.customerId} ${a.hour}`, a.offsets.length])),
    );
  });

  it('writes every event offset into exactly one index part of its hour', () => {
    const chunks = planChunks('load-1', busy);

    for (const { customerId, hour, offsets } of busy) {
      const parts = chunks
        .flatMap((chunk) => chunk.indexParts)
        .filter((part) => part.customerId === customerId && part.hour === hour)
        .sort((a, b) => a.part - b.part);
      expect(parts.flatMap((part) => [...part.offsets])).toEqual([...offsets]);
    }
  });

  it('numbers the chunks 0, 1, 2, ... under the load id', () => {
    const chunks = planChunks('load-1', busy);

    expect(chunks.map((chunk) => chunk.sequence)).toEqual(chunks.map((_, i) => i));
    expect(chunks.every((chunk) => chunk.loadId === 'load-1')).toBe(true);
  });

  it('plans the same chunks whatever order the hours come in', () => {
    const reversed = [...busy].reverse();
    const interleaved = [...busy.filter((_, i) => i % 2 === 0), ...busy.filter((_, i) => i % 2 === 1)];

    const plan = planChunks('load-1', busy);

    expect(planChunks('load-1', reversed)).toEqual(plan);
    expect(planChunks('load-1', interleaved)).toEqual(plan);
  });

  describe('an hour with more events than one index item holds', () => {
    const events = 2 * MAX_OFFSETS_PER_INDEX_ITEM + 1_001;
    const hot = aggregate('hot', 5, events);

    it('splits its index into parts of at most 96,000 offsets, under the 400 KB item limit', () => {
      const parts = planChunks('load-1', [hot]).flatMap((chunk) => chunk.indexParts);

      expect(parts.map((part) => part.part).sort()).toEqual([0, 1, 2]);
      expect(parts.map((part) => part.offsets.length)).toEqual([
        MAX_OFFSETS_PER_INDEX_ITEM,
        MAX_OFFSETS_PER_INDEX_ITEM,
        1_001,
      ]);
      expect(MAX_OFFSETS_PER_INDEX_ITEM).toBeLessThanOrEqual(96_000);
      for (const part of parts) expect(part.offsets.byteLength + 1_024).toBeLessThan(MAX_ITEM_BYTES);
    });

    it('still writes one counter with all its events', () => {
      const counters = planChunks('load-1', [hot]).flatMap((chunk) => chunk.counters);

      expect(counters).toEqual([{ customerId: 'hot', hour: hot.hour, count: events }]);
    });
  });

  it('keeps the index bytes of a chunk within the transaction byte budget', () => {
    const heavy = Array.from({ length: 12 }, (_, h) => aggregate('heavy', h, 90_000));

    const chunks = planChunks('load-1', heavy);

    // 12 hours of 360 KB cannot fit one 4 MB transaction.
    expect(chunks.filter((chunk) => chunk.indexParts.length > 0).length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(indexBytes(chunk)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    expect(MAX_CHUNK_BYTES).toBeLessThan(4 * 1024 * 1024);
  });

  it('plans nothing for a load without events', () => {
    expect(planChunks('load-1', [])).toEqual([]);
  });
});

describe('countOffsetsInRange', () => {
  const packed = pack([0, 5, 5, 5, 9, 3_599_999]);

  it.each([
    ['the whole hour', 0, HOUR, 6],
    ['a range starting at a repeated offset, which includes every repeat', 5, 6, 3],
    ['a range ending at a repeated offset, which excludes every repeat', 0, 5, 1],
    ['a range between offsets', 6, 9, 0],
    ['the last millisecond of the hour', 3_599_999, HOUR, 1],
    ['an empty range', 5, 5, 0],
  ])('counts %s as [from, to)', (_case, from, to, expected) => {
    expect(countOffsetsInRange(packed, from, to)).toBe(expected);
  });

  it('counts nothing in an empty index', () => {
    expect(countOffsetsInRange(new Uint8Array(0), 0, HOUR)).toBe(0);
  });

  it('reads a view that starts inside a larger buffer', () => {
    const buffer = new Uint8Array(8 + packed.byteLength);
    buffer.set(pack([7, 7]), 0);
    buffer.set(packed, 8);

    expect(countOffsetsInRange(buffer.subarray(8), 0, 5)).toBe(1);
    expect(countOffsetsInRange(buffer.subarray(8), 0, HOUR)).toBe(6);
  });
});

describe('createCounterStore applyChunk', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  const client = new DynamoDBClient({
    region: 'local',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
  });
  /** Retries at once: no sleeping in unit tests. */
  const fastRetries: RetryPolicy = {
    maxElapsedMs: 60_000,
    baseDelayMs: 1,
    maxDelayMs: 1,
    sleep: async () => {},
  };
  const store = createCounterStore({ client, tableName: TABLE_NAME, retryPolicy: fastRetries });

  const chunk: WriteChunk = {
    loadId: 'load-1',
    sequence: 3,
    counters: [
      { customerId: 'alpha', hour: FIRST_HOUR, count: 3 },
      { customerId: 'alpha', hour: FIRST_HOUR + HOUR, count: 1 },
    ],
    indexParts: [
      { customerId: 'alpha', hour: FIRST_HOUR, part: 0, offsets: Uint32Array.from([10, 20, 30]) },
      { customerId: 'alpha', hour: FIRST_HOUR + HOUR, part: 0, offsets: Uint32Array.from([40]) },
    ],
    customers: [],
  };

  const canceled = (...codes: string[]) =>
    new TransactionCanceledException({
      message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
      $metadata: { httpStatusCode: 400 },
      CancellationReasons: codes.map((Code) => ({ Code })),
    });

  const sentInputs = () =>
    ddb.commandCalls(TransactWriteCommand).map((call) => call.args[0].input as TransactWriteCommandInput);

  beforeEach(() => {
    ddb.reset();
  });

  afterAll(() => {
    ddb.restore();
  });

  it('sends one transaction whose first action is the conditional Put of the chunk marker', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    const outcome = await store.applyChunk(chunk);

    expect(outcome.status).toBe('applied');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
    const actions = sentInputs()[0]?.TransactItems ?? [];
    expect(actions.length).toBeGreaterThanOrEqual(1 + chunk.counters.length + chunk.indexParts.length);
    expect(actions.length).toBeLessThanOrEqual(MAX_ACTIONS_PER_CHUNK);
    const marker = actions[0]?.Put;
    expect(marker?.TableName).toBe(TABLE_NAME);
    expect(marker?.ConditionExpression).toMatch(/attribute_not_exists\(/);
    expect(actions.slice(1).some((action) => action.Put?.ConditionExpression !== undefined)).toBe(false);
  });

  it('puts the marker, keyed by load and chunk, in a partition apart from the customer items', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await store.applyChunk(chunk);

    const actions = sentInputs()[0]?.TransactItems ?? [];
    const keys = actions.map((action) => action.Put?.Item ?? action.Update?.Key ?? {});
    const [marker, ...others] = keys;
    expect(new Set(keys.map((key) => `${String(key.pk)} ${String(key.sk)}`)).size).toBe(keys.length);
    expect(`${String(marker?.pk)} ${String(marker?.sk)}`).toContain('load-1');
    expect(others.map((key) => key.pk)).not.toContain(marker?.pk);
  });

  it('adds each counter with ADD #count, the reserved word aliased', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await store.applyChunk(chunk);

    const updates = (sentInputs()[0]?.TransactItems ?? []).flatMap((action) =>
      action.Update === undefined ? [] : [action.Update],
    );
    const counterUpdates = updates.filter((update) => /ADD #count /.test(update.UpdateExpression ?? ''));
    expect(counterUpdates).toHaveLength(chunk.counters.length);
    for (const update of counterUpdates) {
      expect(update.TableName).toBe(TABLE_NAME);
      expect(update.ExpressionAttributeNames?.['#count']).toBe('count');
      expect(update.UpdateExpression).not.toMatch(/(^|[^#:\w])(count|hour)\b/i);
    }
    const addedCounts = counterUpdates.map((update) => {
      const placeholder = /ADD #count (:\w+)/.exec(update.UpdateExpression ?? '')?.[1] ?? '';
      return update.ExpressionAttributeValues?.[placeholder];
    });
    expect(addedCounts.sort()).toEqual([1, 3]);
  });

  it('writes each index part as packed offsets that count back to its events', async () => {
    ddb.on(TransactWriteCommand).resolves({});

    await store.applyChunk(chunk);

    const packedParts = (sentInputs()[0]?.TransactItems ?? []).flatMap((action) => {
      const offsets = action.Put?.Item?.offsets;
      return offsets instanceof Uint8Array ? [offsets] : [];
    });
    expect(packedParts.map((packed) => countOffsetsInRange(packed, 0, HOUR)).sort()).toEqual([1, 3]);
    const first = packedParts.find((packed) => packed.byteLength === 12);
    expect(first === undefined ? Number.NaN : countOffsetsInRange(first, 15, 30)).toBe(1);
  });

  it('reports already-applied when the marker condition fails, without retrying', async () => {
    ddb.on(TransactWriteCommand).rejects(canceled('ConditionalCheckFailed', 'None', 'None'));

    const outcome = await store.applyChunk(chunk);

    expect(outcome).toEqual({ status: 'already-applied' });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('retries a transaction conflict with the same request token and input, then applies', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(canceled('None', 'TransactionConflict', 'None'))
      .rejectsOnce(canceled('None', 'None', 'TransactionConflict'))
      .resolves({});

    const outcome = await store.applyChunk(chunk);

    expect(outcome.status).toBe('applied');
    const inputs = sentInputs();
    expect(inputs).toHaveLength(3);
    expect(inputs[0]?.ClientRequestToken).toEqual(expect.any(String));
    expect(inputs[1]).toEqual(inputs[0]);
    expect(inputs[2]).toEqual(inputs[0]);
  });

  it('retries throttling, then applies', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(
        new ProvisionedThroughputExceededException({
          message: 'slow down',
          $metadata: { httpStatusCode: 400 },
        }),
      )
      .resolves({});

    await expect(store.applyChunk(chunk)).resolves.toMatchObject({ status: 'applied' });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 2);
  });

  it('throws a non-retryable error after one attempt', async () => {
    const invalid = Object.assign(
      new Error('Transaction request cannot include multiple operations on one item'),
      {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      },
    );
    ddb.on(TransactWriteCommand).rejects(invalid);

    await expect(store.applyChunk(chunk)).rejects.toThrow('multiple operations on one item');
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });

  it('gives up once the retry time is spent instead of retrying forever', async () => {
    let clock = 0;
    const budgeted = createCounterStore({
      client,
      tableName: TABLE_NAME,
      retryPolicy: {
        maxElapsedMs: 1_000,
        baseDelayMs: 100,
        maxDelayMs: 100,
        sleep: async (ms) => {
          clock += ms;
        },
        random: () => 0.5,
        now: () => clock,
      },
    });
    ddb.on(TransactWriteCommand).rejects(canceled('None', 'TransactionConflict'));

    await expect(budgeted.applyChunk(chunk)).rejects.toThrow(/TransactionConflict|TransactionCanceled/);
    const attempts = ddb.commandCalls(TransactWriteCommand).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(1 + 1_000 / 50);
  });
});
