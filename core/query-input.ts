import {
  countDays,
  countHours,
  MAX_DAYS,
  MAX_HOURLY_BUCKETS,
  type TimeRange,
  WINDOW_SIZES,
  type WindowSize,
} from './buckets';
import { CUSTOMER_ID_RULE, isCustomerId } from './customer-id';
import { InvalidParameterError, quoteInput } from './errors';
import { formatTimestamp, InvalidTimestampError, parseTimestamp, TIMESTAMP_EXAMPLE } from './time';

/** A validated request for event counts; a missing bound defaults to the customer's first or last event. */
export interface EventCountsInput {
  customerId: string;
  start?: number;
  end?: number;
  windowSize: WindowSize;
}

/** A validated request for a total; a missing bound means the customer's whole history on that side. */
export interface TotalEventsInput {
  customerId: string;
  start?: number;
  end?: number;
}

/** A validated request for one page of the customer list. */
export interface CustomerListInput {
  limit: number;
  /** Customer id the page starts after, decoded from `next_page`. */
  after?: string;
}

/** Page size of the customer list when the caller gives no `limit`. */
export const DEFAULT_CUSTOMER_PAGE_SIZE = 100;
/** Largest page of the customer list one request may ask for. */
export const MAX_CUSTOMER_PAGE_SIZE = 1000;

// Messages quote at most a short prefix of what the caller sent.
const show = quoteInput;

/** Checks a customer id received from a caller. */
export function parseCustomerIdParameter(value: unknown, parameter = 'customer_id'): string {
  if (typeof value !== 'string' || !isCustomerId(value)) {
    throw new InvalidParameterError(
      parameter,
      `${parameter} must be ${CUSTOMER_ID_RULE}; received ${show(value)}`,
    );
  }
  return value;
}

/** Parses a timestamp received from a caller; the error names the parameter and shows a valid example. */
export function parseTimeParameter(parameter: string, value: unknown): number {
  let reason = 'not a timestamp';
  if (typeof value === 'string') {
    try {
      return parseTimestamp(value);
    } catch (error) {
      if (error instanceof InvalidTimestampError) reason = error.reason;
    }
    // An unencoded + in a query string arrives as a space: say so instead of a bare "invalid".
    if (/\d \d{2}(:?\d{2})?$/.test(value)) reason += '; a + in a URL must be sent as %2B';
  }
  throw new InvalidParameterError(
    parameter,
    `${parameter} must be an ISO-8601 timestamp such as ${TIMESTAMP_EXAMPLE} or 2021-03-01; received ${show(value)} (${reason})`,
  );
}

function parseOptionalTime(parameter: string, value: unknown): number | undefined {
  return value === undefined ? undefined : parseTimeParameter(parameter, value);
}

/** Parses `window_size`: `hour` (the default when absent), `day` or `none`. */
export function parseWindowSize(value: unknown): WindowSize {
  if (value === undefined) return 'hour';
  const size = WINDOW_SIZES.find((candidate) => candidate === value);
  if (size === undefined) {
    throw new InvalidParameterError(
      'window_size',
      `window_size must be one of ${WINDOW_SIZES.join(', ')}; received ${show(value)}`,
    );
  }
  return size;
}

/** Which bounds of a range were not given by the caller but taken from the customer's events. */
export interface DefaultedBounds {
  start: boolean;
  end: boolean;
}

interface WindowLimit {
  measure: (range: TimeRange) => number;
  max: number;
  noun: string;
  span: string;
  advice: string;
}

const WINDOW_LIMITS: Record<WindowSize, WindowLimit> = {
  hour: {
    measure: countHours,
    max: MAX_HOURLY_BUCKETS,
    noun: 'hourly buckets',
    span: '366 days',
    advice: 'use window_size=day or a shorter range',
  },
  day: {
    measure: countDays,
    max: MAX_DAYS,
    noun: 'daily buckets',
    span: '10 years',
    advice: 'use a shorter range',
  },
  none: { measure: countDays, max: MAX_DAYS, noun: 'days', span: '10 years', advice: 'use a shorter range' },
};

function checkOrder(range: TimeRange, defaulted: DefaultedBounds): void {
  if (range.end > range.start) return;
  const note = (bound: keyof DefaultedBounds, what: string) => (defaulted[bound] ? ` (${what})` : '');
  throw new InvalidParameterError(
    defaulted.end ? 'starting_at' : 'ending_before',
    `ending_before must be later than starting_at; received starting_at=${formatTimestamp(range.start)}` +
      `${note('start', "the hour of the customer's first event")} ending_before=${formatTimestamp(range.end)}` +
      `${note('end', "the end of the hour of the customer's last event")}`,
  );
}

/**
 * Checks that a complete range is ordered and within the window size's limit: 366 days of hourly
 * buckets, or 10 years of days for `day` and `none`.
 */
export function checkRange(
  range: TimeRange,
  windowSize: WindowSize,
  defaulted: DefaultedBounds = { start: false, end: false },
): TimeRange {
  checkOrder(range, defaulted);
  const limit = WINDOW_LIMITS[windowSize];
  const size = limit.measure(range);
  if (size > limit.max) {
    throw new InvalidParameterError(
      defaulted.end ? 'starting_at' : 'ending_before',
      `the range starting_at=${formatTimestamp(range.start)} ending_before=${formatTimestamp(range.end)} covers ${size} ${limit.noun}; ` +
        `window_size=${windowSize} allows at most ${limit.max} ${limit.noun} (${limit.span}) per request; ${limit.advice}`,
    );
  }
  return range;
}

/**
 * Validates the parameters of an event counts request into a domain input. Bounds that are given
 * are checked now; a range with a missing bound is checked once the bound is known.
 */
export function parseEventCountsInput(params: {
  customerId: unknown;
  startingAt: unknown;
  endingBefore: unknown;
  windowSize: unknown;
}): EventCountsInput {
  const customerId = parseCustomerIdParameter(params.customerId);
  const start = parseOptionalTime('starting_at', params.startingAt);
  const end = parseOptionalTime('ending_before', params.endingBefore);
  const windowSize = parseWindowSize(params.windowSize);
  if (start !== undefined && end !== undefined) checkRange({ start, end }, windowSize);
  return { customerId, start, end, windowSize };
}

/** Validates the parameters of a total request; either bound may be absent. */
export function parseTotalEventsInput(params: {
  customerId: unknown;
  startingAt: unknown;
  endingBefore: unknown;
}): TotalEventsInput {
  const customerId = parseCustomerIdParameter(params.customerId);
  const start = parseOptionalTime('starting_at', params.startingAt);
  const end = parseOptionalTime('ending_before', params.endingBefore);
  if (start !== undefined && end !== undefined) checkOrder({ start, end }, { start: false, end: false });
  return { customerId, start, end };
}

const PAGE_TOKEN_PREFIX = 'after:';

/**
 * The `next_page` token for a customer list page that ended at `customerId`: `after:` and that id.
 * Callers pass it back unchanged; being a plain id, the token's every valid form is stated by one
 * pattern in the OpenAPI description (an encoded token could not be), and any id is a valid place
 * to continue from.
 */
export function encodeCustomerPageToken(customerId: string): string {
  return `${PAGE_TOKEN_PREFIX}${customerId}`;
}

function decodeCustomerPageToken(token: string): string | undefined {
  if (!token.startsWith(PAGE_TOKEN_PREFIX)) return undefined;
  const after = token.slice(PAGE_TOKEN_PREFIX.length);
  return isCustomerId(after) ? after : undefined;
}

/** Validates `limit` (1 to 1000, default 100) and `next_page` of a customer list request. */
export function parseCustomerListInput(params: { limit: unknown; nextPage: unknown }): CustomerListInput {
  let limit = DEFAULT_CUSTOMER_PAGE_SIZE;
  if (params.limit !== undefined) {
    const text = String(params.limit);
    limit = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_CUSTOMER_PAGE_SIZE)) {
      throw new InvalidParameterError(
        'limit',
        `limit must be a whole number from 1 to ${MAX_CUSTOMER_PAGE_SIZE}; received ${show(params.limit)}`,
      );
    }
  }
  if (params.nextPage === undefined) return { limit };
  const after = typeof params.nextPage === 'string' ? decodeCustomerPageToken(params.nextPage) : undefined;
  if (after === undefined) {
    throw new InvalidParameterError(
      'next_page',
      `next_page must be the next_page value of an earlier /v1/customers response; received ${show(params.nextPage)}`,
    );
  }
  return { limit, after };
}
