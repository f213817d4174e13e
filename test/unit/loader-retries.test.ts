import { Readable } from 'node:stream';
import {
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createCounterStore } from '../../core/counter-store';
import { isRetryableError, RetriesExhaustedError, type RetryPolicy, withRetries } from '../../core/retry';
import { generateEventBlocks } from '../../loader/generate-events';
import { ChunkWriteError, loadEvents } from '../../loader/load-events';
import { formatWriteFailure } from '../../loader/summary';

const HOUR = 3_600_000;
const CSV = [...generateEventBlocks({ rows: 2_000, customers: 12, days: 2, seed: 11 })].join('');

/** The counters the CSV must produce, recounted without the loader: `C#<customer>|H#<yyyy-mm-ddThh>` -> events. */
function recountCounters(csv: string): Map<string, number> {
  const counters = new Map<string, number>();
  for (const line of csv.split('\n')) {
    if (line === '') continue;
    const fields = line.split(',');
    const stamp = (fields[3] as string).replace(' ', 'T').replace(/\+00$/, 'Z');
    const hour = Math.floor(Date.parse(stamp) / HOUR) * HOUR;
    const key = `C#${fields[0]}|H#${new Date(hour).toISOString().slice(0, 13)}`;
    counters.set(key, (counters.get(key) ?? 0) + 1);
  }
  return counters;
}

const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Throughput exceeded',
    $metadata: { httpStatusCode: 400 },
  });
const named = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** What the fake does to one attempt at one chunk: fail before applying it, or apply it and lose the response. */
type Fault = { error: Error; commit?: boolean } | undefined;

/**
 * A DynamoDB behind the mocked client that keeps markers and counters like the real one: a
 * transaction whose marker exists is cancelled with ConditionalCheckFailed, and (when
 * `honourTokens`) a retry with the token of a committed transaction succeeds without applying it.
 */
class FakeDynamoDb {
  readonly markerWrites = new Map<string, number>();
  readonly counters = new Map<string, number>();
  readonly attempts = new Map<number, number>();
  readonly tokens = new Map<number, Set<string | undefined>>();
  private readonly committedTokens = new Set<string>();
  private done: Record<string, unknown> | undefined;
  fault: (sequence: number, attempt: number) => Fault = () => undefined;

  constructor(private readonly honourTokens = true) {}

  transact(input: TransactWriteCommandInput): object {
    const items = input.TransactItems ?? [];
    const marker = items[0]?.Put?.Item as { pk: string; sk: string };
    const sequence = Number(marker.sk.split('#').at(-1));
    const attempt = (this.attempts.get(sequence) ?? 0) + 1;
    this.attempts.set(sequence, attempt);
    this.tokens.set(sequence, (this.tokens.get(sequence) ?? new Set()).add(input.ClientRequestToken));
    const fault = this.fault(sequence, attempt);
    if (fault !== undefined && fault.commit !== true) throw fault.error;
    const token = input.ClientRequestToken as string;
    if (this.honourTokens && this.committedTokens.has(token)) return {};
    const markerKey = `${marker.pk}|${marker.sk}`;
    if (this.markerWrites.has(markerKey)) {
      throw cancelled('ConditionalCheckFailed', ...items.slice(1).map(() => 'None'));
    }
    this.markerWrites.set(markerKey, (this.markerWrites.get(markerKey) ?? 0) + 1);
    this.committedTokens.add(token);
    for (const item of items) {
      const update = item.Update;
      if (update?.ExpressionAttributeValues?.[':count'] === undefined) continue;
      const key = `${update.Key?.pk}|${update.Key?.sk}`;
      this.counters.set(
        key,
        (this.counters.get(key) ?? 0) + Number(update.ExpressionAttributeValues[':count']),
      );
    }
    if (fault !== undefined) throw fault.error;
    return {};
  }

  get(): object {
    return { Item: this.done };
  }

  put(item: Record<string, unknown>): object {
    this.done = item;
    return {};
  }
}

const dynamo = mockClient(DynamoDBDocumentClient);
let fake: FakeDynamoDb;
let clock: number;
let sleeps: number[];

const fastPolicy = (maxElapsedMs = 60_000): RetryPolicy => ({
  maxElapsedMs,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  random: () => 0.5,
  now: () => clock,
  sleep: async (ms) => {
    sleeps.push(ms);
    clock += ms;
  },
});

function useFake(next: FakeDynamoDb): void {
  fake = next;
  dynamo.reset();
  dynamo.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => fake.transact(input));
  dynamo.on(GetCommand).callsFake(() => fake.get());
  dynamo.on(PutCommand).callsFake((input: { Item: Record<string, unknown> }) => fake.put(input.Item));
}

function load(options: { concurrency?: number; maxElapsedMs?: number } = {}) {
  const store = createCounterStore({
    client: new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    tableName: 'events',
    retryPolicy: fastPolicy(options.maxElapsedMs),
  });
  return loadEvents({
    store,
    input: Readable.from([CSV]),
    source: 'test.csv',
    concurrency: options.concurrency ?? 1,
  });
}

/** Every chunk's marker written exactly once, and every counter equal to the recount. */
function expectEveryChunkAppliedOnce(chunks: number): void {
  expect([...fake.markerWrites.values()]).toEqual(Array.from({ length: chunks }, () => 1));
  expect(fake.counters).toEqual(recountCounters(CSV));
}

beforeEach(() => {
  clock = 0;
  sleeps = [];
  useFake(new FakeDynamoDb());
});

afterAll(() => dynamo.restore());

describe('loading through DynamoDB failures', () => {
  it('applies every chunk once when nothing fails (the baseline the other cases compare with)', async () => {
    const summary = await load();

    // Enough chunks for the failures below, which hit chunks 1 to 6.
    expect(summary.chunks).toBeGreaterThanOrEqual(8);
    expect(summary.chunksApplied).toBe(summary.chunks);
    expectEveryChunkAppliedOnce(summary.chunks);
    expect(sleeps).toEqual([]);
  });

  it.each([
    ['ProvisionedThroughputExceededException', throttled],
    [
      'ThrottlingException',
      () => named('ThrottlingException', 'Rate exceeded', { $metadata: { httpStatusCode: 400 } }),
    ],
    ['RequestLimitExceeded', () => new RequestLimitExceeded({ message: 'Account limit', $metadata: {} })],
    ['a cancellation for throttling', () => cancelled('None', 'ThrottlingError', 'None')],
    ['a cancellation for a transaction conflict', () => cancelled('None', 'None', 'TransactionConflict')],
    [
      'InternalServerError (500)',
      () => new InternalServerError({ message: 'boom', $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'an unnamed 503',
      () => named('UnknownError', 'Service Unavailable', { $metadata: { httpStatusCode: 503 } }),
    ],
    ['a connection reset', () => named('Error', 'socket hang up', { code: 'ECONNRESET' })],
    ['a request timeout', () => named('TimeoutError', 'Request timed out')],
  ])('retries %s with growing, jittered waits and applies each chunk once', async (_name, error) => {
    fake.fault = (sequence, attempt) => (sequence === 2 && attempt <= 3 ? { error: error() } : undefined);

    const summary = await load();

    expect(fake.attempts.get(2)).toBe(4);
    // Full jitter with random() = 0.5: half of 50, 100, 200 ms.
    expect(sleeps).toEqual([25, 50, 100]);
    expect(summary.chunksApplied).toBe(summary.chunks);
    expectEveryChunkAppliedOnce(summary.chunks);
  });

  it('counts a chunk once when it committed but the response was lost: the retry reuses the request token', async () => {
    fake.fault = (sequence, attempt) =>
      sequence === 1 && attempt === 1
        ? { error: named('Error', 'read ECONNRESET', { code: 'ECONNRESET' }), commit: true }
        : undefined;

    const summary = await load();

    expect(fake.attempts.get(1)).toBe(2);
    expect(fake.tokens.get(1)?.size).toBe(1);
    expect(summary.chunksApplied).toBe(summary.chunks);
    expectEveryChunkAppliedOnce(summary.chunks);
  });

  it('counts a chunk once when its response was lost and the token is forgotten: the marker refuses it', async () => {
    useFake(new FakeDynamoDb(false));
    fake.fault = (sequence, attempt) =>
      sequence === 1 && attempt === 1
        ? { error: named('TimeoutError', 'timed out'), commit: true }
        : undefined;

    const summary = await load();

    // The run cannot tell its own lost commit from an earlier run's: it reports the chunk as found applied.
    expect([summary.chunksSkipped, summary.chunksApplied]).toEqual([1, summary.chunks - 1]);
    expectEveryChunkAppliedOnce(summary.chunks);
  });

  it.each([
    ['a cancellation for a validation error', () => cancelled('None', 'ValidationError')],
    [
      'ValidationException',
      () => named('ValidationException', 'Item size has exceeded the maximum allowed size'),
    ],
    [
      'AccessDeniedException',
      () => named('AccessDeniedException', 'not authorized to perform dynamodb:UpdateItem'),
    ],
    ['ResourceNotFoundException', () => named('ResourceNotFoundException', 'Requested resource not found')],
  ])('stops at once on %s, says how far it got, and a re-run finishes the load', async (_name, error) => {
    fake.fault = (sequence) => (sequence === 3 ? { error: error() } : undefined);

    const failure = await load().catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(ChunkWriteError);
    expect(fake.attempts.get(3)).toBe(1);
    expect(sleeps).toEqual([]);
    expect(failure).toMatchObject({ sequence: 3, chunksApplied: 3, chunksSkipped: 0 });

    fake.fault = () => undefined;
    const rerun = await load();

    expect(rerun.chunksSkipped).toBe(3);
    expect(rerun.chunksApplied).toBe(rerun.chunks - 3);
    expectEveryChunkAppliedOnce(rerun.chunks);
  });

  it('gives up after the retry time, exits with what was applied, and a re-run loses and repeats nothing', async () => {
    fake.fault = (sequence) => (sequence === 5 ? { error: throttled() } : undefined);

    const failure = (await load({ maxElapsedMs: 10_000 }).catch(
      (caught: unknown) => caught,
    )) as ChunkWriteError;

    expect(failure).toBeInstanceOf(ChunkWriteError);
    expect(failure.cause).toBeInstanceOf(RetriesExhaustedError);
    expect(clock).toBeLessThanOrEqual(10_000);
    expect(failure.message).toMatch(
      /^chunk 5 of \d+ failed: gave up after \d+ attempts in \d+\.\d s; last error ProvisionedThroughputExceededException: Throughput exceeded$/,
    );
    expect(formatWriteFailure(failure)).toContain(
      `5 of ${failure.chunks} chunks are applied. Nothing is counted twice: re-run the same command to resume the load.`,
    );

    fake.fault = () => undefined;
    const rerun = await load();

    expect([rerun.chunksSkipped, rerun.chunksApplied]).toEqual([5, rerun.chunks - 5]);
    expectEveryChunkAppliedOnce(rerun.chunks);
  });

  it('with several transactions in flight, lets them finish after a failure, and a re-run completes', async () => {
    fake.fault = (sequence) =>
      sequence === 6 ? { error: named('AccessDeniedException', 'denied') } : undefined;

    const failure = (await load({ concurrency: 4 }).catch((caught: unknown) => caught)) as ChunkWriteError;

    expect(failure).toBeInstanceOf(ChunkWriteError);
    expect(failure.chunksApplied).toBe(fake.markerWrites.size);
    fake.fault = () => undefined;
    const rerun = await load({ concurrency: 4 });

    expect(rerun.chunksSkipped).toBe(failure.chunksApplied);
    expectEveryChunkAppliedOnce(rerun.chunks);
  });

  it('retries a throttled read of the load record', async () => {
    let calls = 0;
    dynamo.on(GetCommand).callsFake(() => {
      calls++;
      if (calls === 1) throw throttled();
      return fake.get();
    });

    const summary = await load();

    expect(calls).toBe(2);
    expectEveryChunkAppliedOnce(summary.chunks);
  });
});

describe('withRetries', () => {
  it('doubles the ceiling of its random waits up to the maximum', async () => {
    let attempts = 0;
    const result = await withRetries(
      async () => {
        attempts++;
        if (attempts < 10) throw throttled();
        return 'done';
      },
      { ...fastPolicy(), random: () => 0.999 },
    );

    expect(result).toBe('done');
    expect(sleeps).toEqual([49, 99, 199, 399, 799, 1598, 3196, 4995, 4995]);
  });

  it('stops once the next wait would pass the time allowed', async () => {
    const failure = await withRetries(() => Promise.reject(throttled()), {
      ...fastPolicy(1_000),
      random: () => 0.999,
    }).catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect((failure as RetriesExhaustedError).attempts).toBe(5);
    expect(clock).toBe(49 + 99 + 199 + 399);
  });

  it('throws an error it may not retry on the first attempt', async () => {
    const error = named('ValidationException', 'bad');

    await expect(withRetries(() => Promise.reject(error), fastPolicy())).rejects.toBe(error);
    expect(sleeps).toEqual([]);
  });
});

describe('isRetryableError', () => {
  it.each([
    ['ProvisionedThroughputExceededException', throttled(), true],
    ['ThrottlingException', named('ThrottlingException', ''), true],
    ['RequestLimitExceeded', named('RequestLimitExceeded', ''), true],
    ['TransactionConflictException', named('TransactionConflictException', ''), true],
    ['any error with status 500', named('Anything', '', { $metadata: { httpStatusCode: 500 } }), true],
    ['any error with status 429', named('Anything', '', { $metadata: { httpStatusCode: 429 } }), true],
    ['ECONNRESET', named('Error', '', { code: 'ECONNRESET' }), true],
    ['EPIPE', named('Error', '', { code: 'EPIPE' }), true],
    ['an error the SDK marks $retryable', named('Anything', '', { $retryable: {} }), true],
    [
      'ValidationException (400)',
      named('ValidationException', '', { $metadata: { httpStatusCode: 400 } }),
      false,
    ],
    ['ConditionalCheckFailedException', named('ConditionalCheckFailedException', ''), false],
    ['a cancellation by the marker condition', cancelled('ConditionalCheckFailed'), false],
    ['a string', 'ThrottlingException', false],
  ])('%s -> %p', (_name, error, expected) => {
    expect(isRetryableError(error)).toBe(expected);
  });
});
