import { CUSTOMER_ID_RULE, isCustomerId } from '../core/customer-id';
import { InvalidTimestampError, parseTimestamp } from '../core/time';

/** One valid event from the CSV. */
export interface EventRow {
  customerId: string;
  eventType: string;
  transactionId: string;
  /** Epoch milliseconds. */
  time: number;
}

export type RowResult = { ok: true; event: EventRow } | { ok: false; reason: string };

/** The CSV's columns, in order. Files have no header line; one made of these names is recognised. */
export const COLUMNS = ['customer_id', 'event_type', 'transaction_id', 'timestamp'] as const;

const show = (value: string) => JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);

/** True when the fields are the column names, i.e. the line is a header rather than an event. */
export function isHeaderRow(fields: readonly unknown[]): boolean {
  return (
    fields.length === COLUMNS.length &&
    COLUMNS.every((name, i) => String(fields[i]).trim().toLowerCase() === name)
  );
}

/**
 * Validates one CSV record (`customer_id,event_type,transaction_id,timestamp`). The reason of a
 * rejection names the field, shows the value and says what was expected.
 */
export function validateEventRow(fields: readonly unknown[]): RowResult {
  if (fields.length !== COLUMNS.length) {
    return {
      ok: false,
      reason: `expected ${COLUMNS.length} fields (${COLUMNS.join(',')}), found ${fields.length}`,
    };
  }
  const customerId = String(fields[0]);
  const eventType = String(fields[1]);
  const transactionId = String(fields[2]);
  const timestamp = String(fields[3]);
  if (customerId.trim() === '') {
    return { ok: false, reason: `customer_id is empty: expected ${CUSTOMER_ID_RULE}` };
  }
  if (!isCustomerId(customerId)) {
    return { ok: false, reason: `customer_id ${show(customerId)} is invalid: expected ${CUSTOMER_ID_RULE}` };
  }
  if (eventType.trim() === '') {
    return { ok: false, reason: 'event_type is empty: expected a type such as INGEST' };
  }
  if (transactionId.trim() === '') {
    return { ok: false, reason: 'transaction_id is empty: expected the id of the event' };
  }
  try {
    return { ok: true, event: { customerId, eventType, transactionId, time: parseTimestamp(timestamp) } };
  } catch (error) {
    const why = error instanceof InvalidTimestampError ? error.reason : 'unparsable';
    return {
      ok: false,
      reason: `timestamp ${show(timestamp)} is invalid (${why}): expected e.g. 2021-03-01 00:03:21.74+00`,
    };
  }
}
