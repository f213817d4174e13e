import { CUSTOMER_ID_RULE, isCustomerId } from '../core/customer-id';
import { InvalidTimestampError, parseTimestamp } from '../core/time';
import { utf8 } from './csv-lines';

/** One valid event from the CSV; text fields hold the line's bytes one character per byte (latin1). */
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

/** A value for a message: decoded as UTF-8, quoted, and cut to 80 characters. */
export const show = (value: string) => {
  const text = utf8(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
};

/** Leading and trailing spaces and tabs are not part of a field (`docs/loading.md`). */
function trimField(value: unknown): string {
  const text = String(value);
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return first === 32 || first === 9 || last === 32 || last === 9
    ? text.replace(/^[ \t]+|[ \t]+$/g, '')
    : text;
}

/** True when the fields are the column names, i.e. the line is a header rather than an event. */
export function isHeaderRow(fields: readonly unknown[]): boolean {
  return (
    fields.length === COLUMNS.length &&
    COLUMNS.every((name, i) => String(fields[i]).trim().toLowerCase() === name)
  );
}

/**
 * Validates one CSV record (`customer_id,event_type,transaction_id,timestamp`). Each field is
 * trimmed of leading and trailing spaces and tabs, so ` t1` and `t1 ` are the one id `t1`. The
 * reason of a rejection names the field, shows the value and says what was expected.
 */
export function validateEventRow(fields: readonly unknown[]): RowResult {
  if (fields.length !== COLUMNS.length) {
    return {
      ok: false,
      reason: `expected ${COLUMNS.length} fields (${COLUMNS.join(',')}), found ${fields.length}`,
    };
  }
  const customerId = trimField(fields[0]);
  const eventType = trimField(fields[1]);
  const transactionId = trimField(fields[2]);
  const timestamp = trimField(fields[3]);
  if (customerId === '') {
    return { ok: false, reason: `customer_id is empty: expected ${CUSTOMER_ID_RULE}` };
  }
  if (!isCustomerId(customerId)) {
    return { ok: false, reason: `customer_id ${show(customerId)} is invalid: expected ${CUSTOMER_ID_RULE}` };
  }
  if (eventType === '') {
    return { ok: false, reason: 'event_type is empty: expected a type such as INGEST' };
  }
  if (transactionId === '') {
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
