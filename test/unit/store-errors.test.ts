import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  StoreThrottledError,
  StoreUnavailableError,
  TableNotFoundError,
  WriteConflictError,
} from '../../core/errors';
import { RetriesExhaustedError } from '../../core/retry';
import {
  type CancellationVerdict,
  cancellationCodes,
  classifyCancellation,
  isConditionFailure,
  isRetryableCancellation,
  translateStoreError,
} from '../../core/store-errors';

const TABLE_NAME = 'event-counts-unit';

/** A cancelled transaction as DynamoDB reports it: one reason per action, in action order. */
const canceled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const exhausted = (last: unknown) => new RetriesExhaustedError(7, 120_000, last);

const validation = () =>
  new DynamoDBServiceException({
    name: 'ValidationException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'Transaction request cannot include multiple operations on one item',
  });

describe('cancellationCodes', () => {
  it("lists one code per action, 'None' for an action without a reason code", () => {
    const error = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: {},
      CancellationReasons: [{ Code: 'None' }, {}, { Code: 'ConditionalCheckFailed' }],
    });

    expect(cancellationCodes(error)).toEqual(['None', 'None', 'ConditionalCheckFailed']);
  });

  it('lists nothing for another error, or a cancellation without reasons', () => {
    expect(cancellationCodes(new Error('boom'))).toEqual([]);
    expect(cancellationCodes(new TransactionCanceledException({ message: 'x', $metadata: {} }))).toEqual([]);
  });
});

describe('classifyCancellation', () => {
  // Every code DynamoDB documents for TransactWriteItems' CancellationReasons, alone among fine actions.
  it.each<[string, CancellationVerdict]>([
    ['ConditionalCheckFailed', 'stale'],
    ['TransactionConflict', 'retry'],
    ['ProvisionedThroughputExceeded', 'retry'],
    ['ThrottlingError', 'retry'],
    ['RequestLimitExceeded', 'retry'],
    ['ItemCollectionSizeLimitExceeded', 'fail'],
    ['ValidationError', 'fail'],
  ])('classifies %s as %s', (code, verdict) => {
    expect(classifyCancellation([code])).toBe(verdict);
    expect(classifyCancellation(['None', code, 'None'])).toBe(verdict);
  });

  it("retries a cancellation that names no failed action (only 'None', or no reasons)", () => {
    expect(classifyCancellation(['None', 'None'])).toBe('retry');
    expect(classifyCancellation([])).toBe('retry');
  });

  it('fails on a code it does not know, rather than retrying it', () => {
    expect(classifyCancellation(['SomethingNew'])).toBe('fail');
    expect(classifyCancellation(['TransactionConflict', 'SomethingNew'])).toBe('fail');
  });

  it.each<[string[], CancellationVerdict]>([
    [['ConditionalCheckFailed', 'ConditionalCheckFailed'], 'stale'],
    // A moved version has to be re-read whatever else happened: retrying as is cannot pass.
    [['ConditionalCheckFailed', 'TransactionConflict'], 'stale'],
    [['ThrottlingError', 'ConditionalCheckFailed'], 'stale'],
    [['ConditionalCheckFailed', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded'], 'stale'],
    [['TransactionConflict', 'ThrottlingError'], 'retry'],
    [['ProvisionedThroughputExceeded', 'RequestLimitExceeded', 'TransactionConflict'], 'retry'],
    // Nothing passes an invalid request or a full item collection, re-read or not.
    [['ConditionalCheckFailed', 'ValidationError'], 'fail'],
    [['TransactionConflict', 'ValidationError'], 'fail'],
    [['ItemCollectionSizeLimitExceeded', 'ConditionalCheckFailed'], 'fail'],
    [['ThrottlingError', 'ItemCollectionSizeLimitExceeded'], 'fail'],
  ])('classifies the mix %j as %s', (codes, verdict) => {
    expect(classifyCancellation(codes)).toBe(verdict);
    expect(classifyCancellation(['None', ...codes, 'None'])).toBe(verdict);
  });
});

describe('isRetryableCancellation', () => {
  it('is true only for a cancelled transaction classified retry', () => {
    expect(isRetryableCancellation(canceled('None', 'TransactionConflict'))).toBe(true);
    expect(isRetryableCancellation(canceled('ConditionalCheckFailed', 'TransactionConflict'))).toBe(false);
    expect(isRetryableCancellation(canceled('ValidationError'))).toBe(false);
    expect(isRetryableCancellation(Object.assign(new Error('x'), { name: 'TransactionConflict' }))).toBe(
      false,
    );
  });
});

describe('isConditionFailure', () => {
  it('is true only for a failed condition of a single write', () => {
    expect(isConditionFailure(new ConditionalCheckFailedException({ message: 'no', $metadata: {} }))).toBe(
      true,
    );
    expect(isConditionFailure(canceled('ConditionalCheckFailed'))).toBe(false);
    expect(isConditionFailure(new Error('ConditionalCheckFailedException'))).toBe(false);
  });
});

describe('translateStoreError', () => {
  it('maps a missing table to TableNotFoundError naming the table, directly or after retries', () => {
    const missing = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });

    for (const error of [missing, exhausted(missing)]) {
      const translated = translateStoreError(error, TABLE_NAME);
      expect(translated).toBeInstanceOf(TableNotFoundError);
      expect((translated as TableNotFoundError).tableName).toBe(TABLE_NAME);
      expect((translated as Error).message).toContain(TABLE_NAME);
      expect((translated as Error).cause).toBe(error);
    }
  });

  it.each([
    [
      'ProvisionedThroughputExceededException',
      new ProvisionedThroughputExceededException({ message: 'slow', $metadata: {} }),
    ],
    ['ThrottlingException', new ThrottlingException({ message: 'slow', $metadata: {} })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'slow', $metadata: {} })],
    ['a cancellation for ThrottlingError', canceled('None', 'ThrottlingError')],
    ['a cancellation for ProvisionedThroughputExceeded', canceled('ProvisionedThroughputExceeded', 'None')],
    ['a cancellation for RequestLimitExceeded', canceled('RequestLimitExceeded')],
  ])('maps throttling (%s), after retries, to StoreThrottledError', (_case, throttled) => {
    const error = exhausted(throttled);

    const translated = translateStoreError(error, TABLE_NAME);

    expect(translated).toBeInstanceOf(StoreThrottledError);
    expect((translated as Error).message).toMatch(/^DynamoDB throttled the request: /);
    expect((translated as Error).cause).toBe(error);
  });

  it('maps throttling that was not retried to StoreThrottledError too', () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow', $metadata: {} });

    expect(translateStoreError(throttled, TABLE_NAME)).toBeInstanceOf(StoreThrottledError);
  });

  it.each([
    [
      'a 500 InternalServerError',
      new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } }),
    ],
    [
      'a 503 without a known name',
      new DynamoDBServiceException({
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
        message: 'unavailable',
      }),
    ],
    ['a TimeoutError', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' })],
    ['a reset connection', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])('maps %s to StoreUnavailableError, retried or not', (_case, failure) => {
    for (const error of [failure, exhausted(failure)]) {
      const translated = translateStoreError(error, TABLE_NAME);
      expect(translated).toBeInstanceOf(StoreUnavailableError);
      expect(translated).not.toBeInstanceOf(StoreThrottledError);
      expect((translated as Error).cause).toBe(error);
    }
  });

  it('maps any exhausted retries to StoreUnavailableError, whatever the last error', () => {
    const error = exhausted(canceled('None', 'None'));

    const translated = translateStoreError(error, TABLE_NAME);

    expect(translated).toBeInstanceOf(StoreUnavailableError);
    expect((translated as Error).message).toContain('gave up after 7 attempts');
  });

  it('maps a transaction that kept conflicting to WriteConflictError', () => {
    const error = exhausted(canceled('None', 'TransactionConflict', 'None'));

    const translated = translateStoreError(error, TABLE_NAME);

    expect(translated).toBeInstanceOf(WriteConflictError);
    expect((translated as Error).message).toMatch(/kept conflicting with concurrent writes/);
    expect((translated as Error).cause).toBe(error);
  });

  it('passes a validation error through unchanged: it is a bug, not an outage', () => {
    const error = validation();

    expect(translateStoreError(error, TABLE_NAME)).toBe(error);
  });

  it.each([
    ['ValidationError', canceled('None', 'ValidationError')],
    ['ItemCollectionSizeLimitExceeded', canceled('ItemCollectionSizeLimitExceeded')],
  ])('passes a transaction cancelled for %s through unchanged', (_case, error) => {
    expect(translateStoreError(error, TABLE_NAME)).toBe(error);
  });

  // A reason no retry gets past wins over conflict or throttling reasons beside it: the cancellation is a bug.
  it.each([
    ['TransactionConflict', canceled('TransactionConflict', 'ValidationError')],
    ['ThrottlingError', canceled('ThrottlingError', 'ValidationError')],
    [
      'ProvisionedThroughputExceeded',
      canceled('ItemCollectionSizeLimitExceeded', 'ProvisionedThroughputExceeded'),
    ],
  ])(
    'passes a cancellation that cannot pass through unchanged, even with a %s among its codes',
    (_case, error) => {
      expect(classifyCancellation(cancellationCodes(error))).toBe('fail');

      expect(translateStoreError(error, TABLE_NAME)).toBe(error);
    },
  );

  it('passes a failed condition and anything unknown through unchanged', () => {
    const condition = new ConditionalCheckFailedException({
      message: 'no',
      $metadata: { httpStatusCode: 400 },
    });
    const unknown = new TypeError('x is not a function');

    expect(translateStoreError(condition, TABLE_NAME)).toBe(condition);
    expect(translateStoreError(unknown, TABLE_NAME)).toBe(unknown);
    expect(translateStoreError('a string', TABLE_NAME)).toBe('a string');
  });
});
