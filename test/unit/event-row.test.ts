import { isHeaderRow, validateEventRow } from '../../loader/event-row';

const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';

describe('validateEventRow', () => {
  it('accepts a row of the data set and reads its time to the millisecond', () => {
    const result = validateEventRow([CUSTOMER, 'INGEST', 'a-1', '2021-03-01 00:03:21.74+00']);

    expect(result).toEqual({
      ok: true,
      event: {
        customerId: CUSTOMER,
        eventType: 'INGEST',
        transactionId: 'a-1',
        time: Date.UTC(2021, 2, 1, 0, 3, 21, 740),
      },
    });
  });

  it.each([
    [
      [CUSTOMER, 'INGEST', 'a-1'],
      'expected 4 fields (customer_id,event_type,transaction_id,timestamp), found 3',
    ],
    [
      [CUSTOMER, 'INGEST', 'a-1', '2021-03-01', 'extra'],
      'expected 4 fields (customer_id,event_type,transaction_id,timestamp), found 5',
    ],
    [['', 'INGEST', 'a-1', '2021-03-01'], 'customer_id is empty: expected 1 to 128 letters'],
    [['bad id', 'INGEST', 'a-1', '2021-03-01'], 'customer_id "bad id" is invalid: expected 1 to 128 letters'],
    [[CUSTOMER, ' ', 'a-1', '2021-03-01'], 'event_type is empty: expected a type such as INGEST'],
    [[CUSTOMER, 'INGEST', '', '2021-03-01'], 'transaction_id is empty: expected the id of the event'],
    [[CUSTOMER, 'INGEST', '  ', '2021-03-01'], 'transaction_id is empty'],
    [
      [CUSTOMER, 'INGEST', 'a-1', 'yesterday'],
      'timestamp "yesterday" is invalid (not an ISO-8601 timestamp): expected e.g. 2021-03-01 00:03:21.74+00',
    ],
    [
      [CUSTOMER, 'INGEST', 'a-1', '2021-02-30 00:00:00+00'],
      'timestamp "2021-02-30 00:00:00+00" is invalid (no such calendar date)',
    ],
    [
      [CUSTOMER, 'INGEST', 'a-1', '1969-12-31 23:59:59+00'],
      'is invalid (outside 1970-01-01 to 9999-12-31 UTC)',
    ],
    [[CUSTOMER, 'INGEST', 'a-1', ''], 'timestamp "" is invalid'],
  ])('rejects %j: %s', (fields, reason) => {
    const result = validateEventRow(fields);

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });

  it('shortens a long value in the reason', () => {
    const result = validateEventRow([CUSTOMER, 'INGEST', 'a-1', 'x'.repeat(500)]);

    expect(result.ok ? '' : result.reason).toContain(`"${'x'.repeat(77)}..."`);
  });
});

describe('isHeaderRow', () => {
  it.each([
    [['customer_id', 'event_type', 'transaction_id', 'timestamp'], true],
    [['Customer_ID', ' event_type', 'TRANSACTION_ID ', 'Timestamp'], true],
    [['customer_id', 'event_type', 'transaction_id'], false],
    [[CUSTOMER, 'INGEST', 'a-1', '2021-03-01'], false],
  ])('tells %j a header: %s', (fields, expected) => {
    expect(isHeaderRow(fields)).toBe(expected);
  });
});
