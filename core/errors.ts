/** A caller sent a value the service cannot use; the message says which and what is expected. */
export class InvalidParameterError extends Error {
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidParameterError';
  }
}

/** DynamoDB refused or failed a request in a way the caller may retry later (throttling, 5xx). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** The store did not answer within the request's deadline; the caller may retry later. */
export class DeadlineExceededError extends StoreUnavailableError {
  constructor(
    readonly deadlineMs: number,
    options?: { cause?: unknown },
  ) {
    super(`the store did not answer within the request's deadline of ${deadlineMs} ms`, options);
    this.name = 'DeadlineExceededError';
  }
}

/** The request needs a customer's stored events (e.g. to default a bound) and none exist. */
export class CustomerNotFoundError extends Error {
  constructor(
    readonly customerId: string,
    message: string,
  ) {
    super(message);
    this.name = 'CustomerNotFoundError';
  }
}

/** DynamoDB throttled the request (throughput or request-rate limits); a later attempt may pass. */
export class StoreThrottledError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreThrottledError';
  }
}

/** The table does not exist (not created yet, or the wrong name or region). */
export class TableNotFoundError extends Error {
  constructor(
    readonly tableName: string,
    options?: { cause?: unknown },
  ) {
    super(`table ${tableName} does not exist`, options);
    this.name = 'TableNotFoundError';
  }
}

/** A write lost a race with a concurrent writer of the same items; re-reading and retrying resolves it. */
export class WriteConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteConflictError';
  }
}

/** How many characters of a caller's value an error message quotes. */
export const QUOTED_INPUT_LENGTH = 40;

/**
 * A caller's value as an error message quotes it: JSON-quoted, cut to its first 40 characters
 * (with its full length) so that a long or hostile input is not echoed back or into logs whole.
 */
export function quoteInput(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  if (value.length <= QUOTED_INPUT_LENGTH) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, QUOTED_INPUT_LENGTH))}... (${value.length} characters)`;
}

/** A read of an hour's writes had a gap (a committed write not visible yet); reading again resolves it. */
export class IncompleteReadError extends Error {
  override name = 'IncompleteReadError';
}

/** The message of any thrown value: an Error's message, or the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The table was written in a layout this version cannot load into. */
export class TableFormatError extends Error {
  constructor(
    readonly tableName: string,
    message: string,
  ) {
    super(message);
    this.name = 'TableFormatError';
  }
}

/**
 * A stored item does not have the shape this version reads (a counter without a whole-number
 * `count`, a time index that is not 4-byte offsets): answering from it would be wrong, so the
 * request fails with a 500 and the item's key goes to the log.
 */
export class CorruptItemError extends Error {
  constructor(
    readonly key: { pk?: unknown; sk?: unknown },
    message: string,
  ) {
    super(message);
    this.name = 'CorruptItemError';
  }
}
