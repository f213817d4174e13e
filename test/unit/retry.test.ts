import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { isRetryableError, RetriesExhaustedError, withRetries } from '../../core/retry';
import { fakeClock } from '../support/fake-clock';

const clock = fakeClock();
const fastPolicy = (maxElapsedMs?: number) => clock.policy(maxElapsedMs);

const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'Throughput exceeded',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => clock.reset());

const named = (name: string, message: string, extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });

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
    expect(clock.sleeps).toEqual([49, 99, 199, 399, 799, 1598, 3196, 4995, 4995]);
  });

  it('stops once the next wait would pass the time allowed', async () => {
    const failure = await withRetries(() => Promise.reject(throttled()), {
      ...fastPolicy(1_000),
      random: () => 0.999,
    }).catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(RetriesExhaustedError);
    expect((failure as RetriesExhaustedError).attempts).toBe(5);
    expect(clock.now).toBe(49 + 99 + 199 + 399);
  });

  it('throws an error it may not retry on the first attempt', async () => {
    const error = named('ValidationException', 'bad');

    await expect(withRetries(() => Promise.reject(error), fastPolicy())).rejects.toBe(error);
    expect(clock.sleeps).toEqual([]);
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
    [
      'a cancellation by a version condition',
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
      }),
      false,
    ],
    ['a string', 'ThrottlingException', false],
  ])('%s -> %p', (_name, error, expected) => {
    expect(isRetryableError(error)).toBe(expected);
  });
});
