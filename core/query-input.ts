import { countHours, MAX_HOURLY_BUCKETS, type TimeRange } from './buckets';
import { CUSTOMER_ID_RULE, isCustomerId } from './customer-id';
import { InvalidParameterError } from './errors';
import { InvalidTimestampError, parseTimestamp, TIMESTAMP_EXAMPLE } from './time';

/** A validated request for hourly counts. */
export interface HourlyCountsInput {
  customerId: string;
  range: TimeRange;
}

/** A validated request for a total; a missing bound means the customer's whole history on that side. */
export interface TotalEventsInput {
  customerId: string;
  start?: number;
  end?: number;
}

const show = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

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
  if (typeof value !== 'string' || value === '') {
    throw new InvalidParameterError(
      parameter,
      `${parameter} is required: an ISO-8601 timestamp such as ${TIMESTAMP_EXAMPLE}; received ${show(value)}`,
    );
  }
  try {
    return parseTimestamp(value);
  } catch (error) {
    const reason = error instanceof InvalidTimestampError ? error.reason : 'not a timestamp';
    throw new InvalidParameterError(
      parameter,
      `${parameter} must be an ISO-8601 timestamp such as ${TIMESTAMP_EXAMPLE} or 2021-03-01; received ${show(value)} (${reason})`,
    );
  }
}

function checkOrder(start: number, end: number): void {
  if (end <= start) {
    throw new InvalidParameterError(
      'ending_before',
      `ending_before must be later than starting_at; received starting_at=${new Date(start).toISOString()} ending_before=${new Date(end).toISOString()}`,
    );
  }
}

/** Validates the parameters of an hourly counts request into a domain input. */
export function parseHourlyCountsInput(params: {
  customerId: unknown;
  startingAt: unknown;
  endingBefore: unknown;
}): HourlyCountsInput {
  const customerId = parseCustomerIdParameter(params.customerId);
  const start = parseTimeParameter('starting_at', params.startingAt);
  const end = parseTimeParameter('ending_before', params.endingBefore);
  checkOrder(start, end);
  const hours = countHours({ start, end });
  if (hours > MAX_HOURLY_BUCKETS) {
    throw new InvalidParameterError(
      'ending_before',
      `the range covers ${hours} hourly buckets; at most ${MAX_HOURLY_BUCKETS} (366 days) are allowed per request`,
    );
  }
  return { customerId, range: { start, end } };
}

/** Validates the parameters of a total request; either bound may be absent. */
export function parseTotalEventsInput(params: {
  customerId: unknown;
  startingAt: unknown;
  endingBefore: unknown;
}): TotalEventsInput {
  const customerId = parseCustomerIdParameter(params.customerId);
  const start =
    params.startingAt === undefined ? undefined : parseTimeParameter('starting_at', params.startingAt);
  const end =
    params.endingBefore === undefined ? undefined : parseTimeParameter('ending_before', params.endingBefore);
  if (start !== undefined && end !== undefined) checkOrder(start, end);
  return { customerId, start, end };
}
