import {
  ConditionalCheckFailedException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  errorMessage,
  StoreThrottledError,
  StoreUnavailableError,
  TableNotFoundError,
  WriteConflictError,
} from './errors';
import { isRetryableError, RetriesExhaustedError, THROTTLING_ERROR_NAMES } from './retry';

/*
 * The boundary between the AWS SDK's errors and the project's: only this module and the I/O module
 * (core/counter-store.ts) look at SDK error types or names.
 */

/** The per-action codes of a cancelled transaction (`None` for actions that were fine). */
export function cancellationCodes(error: unknown): string[] {
  if (!(error instanceof TransactionCanceledException)) return [];
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** Cancellation codes of a throttled transaction. */
const THROTTLING_CANCELLATION_CODES = new Set([
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/** Cancellation codes that a later attempt of the same transaction can get past. */
const RETRYABLE_CANCELLATION_CODES = new Set(['TransactionConflict', ...THROTTLING_CANCELLATION_CODES]);

/** How a cancelled transaction is handled: retried as it is, re-planned after re-reading, or failed. */
export type CancellationVerdict = 'retry' | 'stale' | 'fail';

/**
 * What to do about a cancelled transaction. A failed condition means another writer moved an
 * hour's version first: the writes must be re-read and re-planned (`stale`). Conflicts with a
 * concurrent transaction and throttling pass on a later attempt (`retry`). Anything else
 * (`ValidationError`, `ItemCollectionSizeLimitExceeded`) will not (`fail`).
 */
export function classifyCancellation(codes: readonly string[]): CancellationVerdict {
  const failed = codes.filter((code) => code !== 'None');
  if (failed.length === 0) return 'retry';
  if (failed.every((code) => code === 'ConditionalCheckFailed')) return 'stale';
  if (failed.every((code) => code === 'ConditionalCheckFailed' || RETRYABLE_CANCELLATION_CODES.has(code))) {
    return failed.includes('ConditionalCheckFailed') ? 'stale' : 'retry';
  }
  return 'fail';
}

/** True for a cancelled transaction that the same attempt may get past later. */
export function isRetryableCancellation(error: unknown): boolean {
  return (
    error instanceof TransactionCanceledException &&
    classifyCancellation(cancellationCodes(error)) === 'retry'
  );
}

/** True when a conditional write (outside a transaction) found its condition false. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException;
}

/**
 * Translates an error of a DynamoDB call (after any retries) into the project's named errors:
 * TableNotFoundError, StoreThrottledError, WriteConflictError or StoreUnavailableError. Anything
 * else (a validation error is a bug) is returned as it is.
 */
export function translateStoreError(error: unknown, tableName: string): unknown {
  const last = error instanceof RetriesExhaustedError ? error.cause : error;
  if (last instanceof ResourceNotFoundException) return new TableNotFoundError(tableName, { cause: error });
  const codes = cancellationCodes(last);
  // A cancellation with a reason no retry gets past (a validation error) is a bug, whatever else it holds.
  if (classifyCancellation(codes) === 'fail') return error;
  if (codes.includes('TransactionConflict')) {
    const message = `a transaction kept conflicting with concurrent writes: ${errorMessage(error)}`;
    return new WriteConflictError(message, { cause: error });
  }
  const throttled =
    (last instanceof Error && THROTTLING_ERROR_NAMES.has(last.name)) ||
    codes.some((code) => THROTTLING_CANCELLATION_CODES.has(code));
  if (throttled) {
    return new StoreThrottledError(`DynamoDB throttled the request: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  if (error instanceof RetriesExhaustedError || isRetryableError(last)) {
    return new StoreUnavailableError(`DynamoDB did not answer: ${errorMessage(error)}`, { cause: error });
  }
  return error;
}
