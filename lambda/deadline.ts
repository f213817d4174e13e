import type { Context } from 'aws-lambda';

/**
 * How long a request may wait for the store before the handler answers 503 itself: inside the
 * function's 10 s timeout and under the 5 s a caller should wait for an answer, with room for two
 * 2 s attempts of a DynamoDB call (core/config.ts `API_CLIENT_SETTINGS`).
 */
export const DEFAULT_DEADLINE_MS = 4_000;

/** Kept back from the function's remaining time, to answer and log before Lambda stops the function. */
const DEADLINE_MARGIN_MS = 1_000;

/** The deadline of one invocation: `deadlineMs`, or less when the function has less time left. */
export function invocationDeadlineMs(deadlineMs: number, context: Pick<Context, 'getRemainingTimeInMillis'>) {
  const remaining = context.getRemainingTimeInMillis?.();
  if (typeof remaining !== 'number' || !Number.isFinite(remaining)) return deadlineMs;
  return Math.max(0, Math.min(deadlineMs, remaining - DEADLINE_MARGIN_MS));
}

/**
 * What `answer` resolves to, or `late()` when it has not resolved within `ms`. A total deadline
 * over everything a request waits for (each DynamoDB attempt, the SDK's backoff between attempts,
 * credential look-ups): the client's own timeouts bound each attempt, not their sum. The late
 * answer is dropped when it comes; `answer` must not reject (the router maps every error).
 */
export async function answerWithin<T>(answer: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
