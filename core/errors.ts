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
