/** How long and how often a failed DynamoDB call is tried again. */
export interface RetryPolicy {
  /** Give up once this much time has passed since the first attempt. */
  maxElapsedMs: number;
  /** Backoff before the first retry; it doubles each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxElapsedMs: 120_000,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
};

/** Names of the throttling errors of DynamoDB and the AWS SDK: too many requests for now. */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);

// Throttling, server-side and timeout errors of DynamoDB and the AWS SDK that a later attempt can
// get past. Anything else (validation, access denied, missing table) fails on the first attempt.
const RETRYABLE_NAMES = new Set([
  ...THROTTLING_ERROR_NAMES,
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
  'TransactionConflictException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

// Network failures Node.js reports by code: the connection broke, or never came up.
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True for throttling, 5xx and 429 responses, transaction conflicts, timeouts and connection
 * failures: errors worth another try. The AWS SDK's own `$retryable` mark counts too.
 */
export function isRetryableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (RETRYABLE_NAMES.has(error.name)) return true;
  if ((error as { $retryable?: unknown }).$retryable !== undefined) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

/** Thrown when every attempt failed; `cause` is the last error, `attempts` how many were made. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    cause: unknown,
  ) {
    const last = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`gave up after ${attempts} attempts in ${(elapsedMs / 1000).toFixed(1)} s; last error ${last}`, {
      cause,
    });
    this.name = 'RetriesExhaustedError';
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, retrying errors that `shouldRetry` accepts with exponential
 * backoff and full jitter (delay = random(0, min(max, base * 2^n))) until `maxElapsedMs` is spent.
 * Errors `shouldRetry` refuses are thrown at once.
 *
 * @throws RetriesExhaustedError when the next wait would pass `maxElapsedMs`.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  shouldRetry: (error: unknown) => boolean = isRetryableError,
): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  const random = policy.random ?? Math.random;
  const now = policy.now ?? Date.now;
  const startedAt = now();
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      if (!shouldRetry(error)) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempts - 1));
      const delay = Math.floor(random() * ceiling);
      const elapsed = now() - startedAt;
      if (elapsed + delay > policy.maxElapsedMs) throw new RetriesExhaustedError(attempts, elapsed, error);
      await sleep(delay);
    }
  }
}
