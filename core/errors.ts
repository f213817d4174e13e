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
