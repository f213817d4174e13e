import { InvalidParameterError } from '../../core/errors';
import {
  encodeCustomerPageToken,
  parseCustomerIdParameter,
  parseCustomerListInput,
  parseEventCountsInput,
  parseTimeParameter,
  parseTotalEventsInput,
} from '../../core/query-input';

const HOUR = 3_600_000;
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';

/** The InvalidParameterError that `action` throws, or a failure when it throws none. */
function parameterErrorOf(action: () => unknown): InvalidParameterError {
  try {
    action();
  } catch (error) {
    if (error instanceof InvalidParameterError) return error;
    throw error;
  }
  throw new Error('expected an InvalidParameterError');
}

const eventCounts = (params: { startingAt?: unknown; endingBefore?: unknown; customerId?: unknown }) =>
  parseEventCountsInput({
    customerId: CUSTOMER,
    startingAt: undefined,
    endingBefore: undefined,
    windowSize: undefined,
    ...params,
  });

describe('parseTimeParameter', () => {
  it('returns epoch milliseconds for a valid timestamp', () => {
    expect(parseTimeParameter('starting_at', '2021-03-01T04:00:00Z')).toBe(Date.UTC(2021, 2, 1, 4));
  });

  it.each([
    ['starting_at', 'yesterday'],
    ['ending_before', '2021-02-30'],
    ['starting_at', '2021-03-01T24:00:00Z'],
    ['ending_before', ''],
  ])('names %s, shows the value %j and gives an example when the value is rejected', (parameter, value) => {
    const error = parameterErrorOf(() => parseTimeParameter(parameter, value));

    expect(error.parameter).toBe(parameter);
    expect(error.message).toMatch(new RegExp(`^${parameter} `));
    expect(error.message).toContain(JSON.stringify(value));
    expect(error.message).toContain('2021-03-01T04:00:00Z');
  });

  it('says why the value was rejected', () => {
    const error = parameterErrorOf(() => parseTimeParameter('starting_at', '2021-02-30'));

    expect(error.message).toMatch(/calendar date/);
  });

  it('shows a value that is not a string', () => {
    const error = parameterErrorOf(() => parseTimeParameter('starting_at', 42));

    expect(error.message).toContain('received 42');
  });
});

describe('parseEventCountsInput', () => {
  it('returns the customer, both bounds and the hour window by default', () => {
    const input = eventCounts({ startingAt: '2021-03-01T04:00:00Z', endingBefore: '2021-03-01T06:30:00Z' });

    expect(input).toEqual({
      customerId: CUSTOMER,
      start: Date.UTC(2021, 2, 1, 4),
      end: Date.UTC(2021, 2, 1, 6, 30),
      windowSize: 'hour',
    });
  });

  it.each([
    ['starting_at', { startingAt: 'not-a-time' }, 'not-a-time'],
    ['ending_before', { endingBefore: '2021-03-01T04:00:00+24:00' }, '2021-03-01T04:00:00+24:00'],
  ])('names %s when its value is unparsable', (parameter, params, value) => {
    const error = parameterErrorOf(() => eventCounts(params));

    expect(error.parameter).toBe(parameter);
    expect(error.message).toContain(JSON.stringify(value));
    expect(error.message).toContain('2021-03-01T04:00:00Z');
  });

  it('names window_size, shows the value and lists the accepted values', () => {
    const error = parameterErrorOf(() =>
      parseEventCountsInput({
        customerId: CUSTOMER,
        startingAt: '2021-03-01',
        endingBefore: '2021-03-02',
        windowSize: 'week',
      }),
    );

    expect(error.parameter).toBe('window_size');
    expect(error.message).toContain('"week"');
    expect(error.message).toContain('hour');
  });

  it.each([
    ['equals starting_at', '2021-03-01T04:00:00Z', '2021-03-01T04:00:00Z'],
    ['is before starting_at', '2021-03-01T04:00:00Z', '2021-03-01T03:59:59.999Z'],
    ['is the same instant in another offset', '2021-03-01T04:00:00Z', '2021-03-01T05:00:00+01:00'],
  ])('rejects ending_before when it %s, showing both bounds', (_case, startingAt, endingBefore) => {
    const error = parameterErrorOf(() => eventCounts({ startingAt, endingBefore }));

    expect(error.parameter).toBe('ending_before');
    expect(error.message).toMatch(/ending_before must be later than starting_at/);
    expect(error.message).toContain(new Date(Date.parse(startingAt)).toISOString());
    expect(error.message).toContain(new Date(Date.parse(endingBefore)).toISOString());
  });

  it('accepts a one-millisecond range', () => {
    const input = eventCounts({
      startingAt: '2021-03-01T04:00:00.000Z',
      endingBefore: '2021-03-01T04:00:00.001Z',
    });

    expect(input.end).toBe((input.start ?? Number.NaN) + 1);
  });

  describe('the limit of 366 days of hourly buckets', () => {
    const start = Date.UTC(2021, 0, 1);
    const iso = (time: number) => new Date(time).toISOString();

    it('accepts exactly 8784 hourly buckets', () => {
      const input = eventCounts({ startingAt: iso(start), endingBefore: iso(start + 8784 * HOUR) });

      expect(input.end).toBe(start + 8784 * HOUR);
    });

    it('rejects 8785 hourly buckets, naming ending_before and both numbers', () => {
      const error = parameterErrorOf(() =>
        eventCounts({ startingAt: iso(start), endingBefore: iso(start + 8785 * HOUR) }),
      );

      expect(error.parameter).toBe('ending_before');
      expect(error.message).toContain(`ending_before=${iso(start + 8785 * HOUR)}`);
      expect(error.message).toContain('8785');
      expect(error.message).toContain('8784');
      expect(error.message).toContain(iso(start));
    });

    it('rejects 8784 hours and one millisecond, which touches an 8785th clock hour', () => {
      const error = parameterErrorOf(() =>
        eventCounts({ startingAt: iso(start), endingBefore: iso(start + 8784 * HOUR + 1) }),
      );

      expect(error.parameter).toBe('ending_before');
    });

    it('rejects 8784 hours that start off the hour, since they touch 8785 clock hours', () => {
      const offHour = start + 30 * 60_000;

      expect(() =>
        eventCounts({ startingAt: iso(offHour), endingBefore: iso(offHour + 8784 * HOUR) }),
      ).toThrow(InvalidParameterError);
    });

    it('leaves a range with a missing bound to be checked once the bound is known', () => {
      const input = eventCounts({ startingAt: iso(start) });

      expect(input).toEqual({ customerId: CUSTOMER, start, end: undefined, windowSize: 'hour' });
    });
  });
});

describe('parseTotalEventsInput', () => {
  it('accepts missing bounds', () => {
    expect(
      parseTotalEventsInput({ customerId: CUSTOMER, startingAt: undefined, endingBefore: undefined }),
    ).toEqual({ customerId: CUSTOMER, start: undefined, end: undefined });
  });

  it('rejects ending_before that is not later than starting_at', () => {
    const error = parameterErrorOf(() =>
      parseTotalEventsInput({
        customerId: CUSTOMER,
        startingAt: '2021-03-02',
        endingBefore: '2021-03-01',
      }),
    );

    expect(error.parameter).toBe('ending_before');
  });

  it('does not limit the length of a total range', () => {
    const input = parseTotalEventsInput({
      customerId: CUSTOMER,
      startingAt: '2000-01-01',
      endingBefore: '2030-01-01',
    });

    expect(input.end).toBe(Date.UTC(2030, 0, 1));
  });
});

describe('parseCustomerIdParameter', () => {
  it.each([
    ['a 32-digit hex id from the data', CUSTOMER],
    ['one character', 'a'],
    ['an upper-case id', 'ACME'],
    ['every allowed punctuation mark', 'acme.eu_west:1@example-co'],
    ['128 characters', `a${'b'.repeat(127)}`],
  ])('accepts %s', (_case, id) => {
    expect(parseCustomerIdParameter(id)).toBe(id);
  });

  it.each([
    ['an empty id', ''],
    ['129 characters', `a${'b'.repeat(128)}`],
    ['a leading dash', '-acme'],
    ['a leading dot', '.acme'],
    ['a leading underscore', '_acme'],
    ['a slash', 'acme/eu'],
    ['a hash, which the key layout uses as a separator', 'acme#1'],
    ['a space', 'acme corp'],
    ['a non-ASCII letter', 'acmé'],
    ['a trailing newline', 'acme\n'],
  ])('rejects %s, naming customer_id, showing the value and giving an example', (_case, id) => {
    const error = parameterErrorOf(() => parseCustomerIdParameter(id));

    expect(error.parameter).toBe('customer_id');
    expect(error.message).toContain(JSON.stringify(id.slice(0, 40)));
    expect(error.message).toContain(CUSTOMER);
  });

  it('rejects a value that is not a string', () => {
    const error = parameterErrorOf(() => parseCustomerIdParameter(undefined));

    expect(error.parameter).toBe('customer_id');
    expect(error.message).toContain('received undefined');
  });
});

describe('parseTimeParameter with an offset whose + was decoded as a space', () => {
  it('tells the caller to encode + as %2B', () => {
    expect(() => parseTimeParameter('starting_at', '2021-03-01T05:00:00 01:00')).toThrow(/%2B/);
  });
});

describe('error messages', () => {
  it('quote at most the first 40 characters of a long value, with its length', () => {
    const value = `2021-03-01T04:00:00Z${'x'.repeat(10_000)}`;

    const error = parameterErrorOf(() => parseTimeParameter('starting_at', value));

    expect(error.message).toContain(`received ${JSON.stringify(value.slice(0, 40))}... (10020 characters)`);
    expect(error.message.length).toBeLessThan(300);
  });

  it('quote a short value whole', () => {
    expect(parameterErrorOf(() => parseTimeParameter('starting_at', 'yesterday')).message).toContain(
      'received "yesterday"',
    );
  });
});

describe('the customer list page token', () => {
  it('is `after:` and the last customer id, and reads back as the id to continue after', () => {
    const token = encodeCustomerPageToken(CUSTOMER);

    expect(token).toBe(`after:${CUSTOMER}`);
    expect(parseCustomerListInput({ limit: undefined, nextPage: token })).toEqual({
      limit: 100,
      after: CUSTOMER,
    });
  });

  it.each([
    [
      'the base64 JSON token of earlier versions',
      'eyJhZnRlciI6IjFhYmI0MjQxNDYwNzk1NWRiZjYwODhiOTlmODM3ZDhmIn0',
    ],
    ['a bare customer id', CUSTOMER],
    ['the prefix alone', 'after:'],
    ['an id the API never stores', 'after:-acme'],
    ['an empty token', ''],
  ])('rejects %s, naming next_page', (_case, nextPage) => {
    expect(parameterErrorOf(() => parseCustomerListInput({ limit: undefined, nextPage })).parameter).toBe(
      'next_page',
    );
  });
});
