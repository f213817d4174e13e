import {
  DAY_MS,
  dayStart,
  formatTimestamp,
  HOUR_MS,
  hourStart,
  InvalidTimestampError,
  parseTimestamp,
} from '../../core/time';

/** The error `parseTimestamp` throws for `text`, or a failure when it throws none. */
function rejectionOf(text: string): InvalidTimestampError {
  try {
    parseTimestamp(text);
  } catch (error) {
    if (error instanceof InvalidTimestampError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseTimestamp', () => {
  describe('the CSV form', () => {
    it.each([
      ['no fraction', '2021-03-01 00:03:21+00', Date.UTC(2021, 2, 1, 0, 3, 21, 0)],
      ['one fraction digit (.7 is 700 ms)', '2021-03-01 00:03:21.7+00', Date.UTC(2021, 2, 1, 0, 3, 21, 700)],
      [
        'two fraction digits (.74 is 740 ms)',
        '2021-03-01 00:03:21.74+00',
        Date.UTC(2021, 2, 1, 0, 3, 21, 740),
      ],
      [
        'two fraction digits with a leading zero',
        '2021-03-01 00:03:21.07+00',
        Date.UTC(2021, 2, 1, 0, 3, 21, 70),
      ],
      ['three fraction digits', '2021-03-01 00:03:21.055+00', Date.UTC(2021, 2, 1, 0, 3, 21, 55)],
      [
        'four fraction digits, cut to the millisecond',
        '2021-03-01 00:03:21.7409+00',
        Date.UTC(2021, 2, 1, 0, 3, 21, 740),
      ],
      [
        'three fraction digits at the last millisecond',
        '2021-03-03 23:59:59.999+00',
        Date.UTC(2021, 2, 3, 23, 59, 59, 999),
      ],
    ])('reads %s', (_case, text, expected) => {
      expect(parseTimestamp(text)).toBe(expected);
    });

    it.each([
      ['Feb 29 of a non-leap year', '2021-02-29 10:00:00+00', 'no such calendar date'],
      ['hour 24', '2021-03-01 24:00:00+00', 'no such time of day'],
      ['the last millisecond of 1969', '1969-12-31 23:59:59.999+00', 'outside 1970-01-01 to 9999-12-31 UTC'],
      ['a letter among the digits', '2021-03-01 00:03:2x.74+00', 'not an ISO-8601 timestamp'],
    ])('rejects %s with the reason any other form gets', (_case, text, reason) => {
      expect(() => parseTimestamp(text)).toThrow(reason);
    });
  });

  describe('ISO-8601 / RFC 3339 forms', () => {
    const fourAm = Date.UTC(2021, 2, 1, 4, 0, 0, 0);

    it.each([
      ['a T separator and Z', '2021-03-01T04:00:00Z'],
      ['a space separator and Z', '2021-03-01 04:00:00Z'],
      ['a lower-case z', '2021-03-01T04:00:00z'],
      ['a lower-case t', '2021-03-01t04:00:00Z'],
      ['+00:00', '2021-03-01T04:00:00+00:00'],
      ['-00:00', '2021-03-01T04:00:00-00:00'],
      ['+HH:MM', '2021-03-01T09:30:00+05:30'],
      ['+HHMM', '2021-03-01T09:30:00+0530'],
      ['+HH', '2021-03-01T06:00:00+02'],
      ['-HH:MM', '2021-02-28T23:15:00-04:45'],
      ['-HHMM', '2021-02-28T23:15:00-0445'],
      ['-HH', '2021-03-01T01:00:00-03'],
      ['no seconds', '2021-03-01T04:00Z'],
      ['no offset, meaning UTC', '2021-03-01T04:00:00'],
      ['a space and no offset, meaning UTC', '2021-03-01 04:00:00'],
    ])('reads %s as the same instant', (_case, text) => {
      expect(parseTimestamp(text)).toBe(fourAm);
    });

    it('reads a bare date as midnight UTC', () => {
      expect(parseTimestamp('2021-03-01')).toBe(Date.UTC(2021, 2, 1));
    });

    it('keeps the fraction of a time without an offset', () => {
      expect(parseTimestamp('2021-03-01 04:00:00.5')).toBe(fourAm + 500);
    });
  });

  describe('offsets that move the instant across a calendar boundary', () => {
    it.each([
      ['a negative offset into the next day', '2021-03-01T20:00:00-05:00', Date.UTC(2021, 2, 2, 1, 0)],
      ['a negative offset into the next month', '2021-02-28T23:30:00-01:00', Date.UTC(2021, 2, 1, 0, 30)],
      ['a negative offset into the next year', '2020-12-31T23:00:00-02:00', Date.UTC(2021, 0, 1, 1, 0)],
      ['a negative offset onto a leap day', '2020-02-28T23:00:00-02:00', Date.UTC(2020, 1, 29, 1, 0)],
      ['a positive offset into the previous day', '2021-03-01T01:00:00+02:00', Date.UTC(2021, 1, 28, 23, 0)],
      [
        'a positive offset into the previous year',
        '2021-01-01T00:30:00+01:00',
        Date.UTC(2020, 11, 31, 23, 30),
      ],
      ['the largest offset, -23:59', '2021-03-01T00:00:00-23:59', Date.UTC(2021, 2, 1, 23, 59)],
    ])('applies %s', (_case, text, expected) => {
      expect(parseTimestamp(text)).toBe(expected);
    });

    it('accepts a 1969 local time that is 1970 in UTC', () => {
      expect(parseTimestamp('1969-12-31T23:30:00-01:00')).toBe(Date.UTC(1970, 0, 1, 0, 30));
    });
  });

  describe('fraction digits beyond the millisecond', () => {
    it.each([
      ['4 digits', '2021-03-01T04:00:00.1234Z', 123],
      ['6 digits', '2021-03-01T04:00:00.123456Z', 123],
      ['9 digits', '2021-03-01T04:00:00.123456789Z', 123],
      ['4 digits that would round up', '2021-03-01T04:00:00.0009Z', 0],
      ['9 nines', '2021-03-01T04:00:00.999999999Z', 999],
    ])('truncates %s to the millisecond', (_case, text, millis) => {
      expect(parseTimestamp(text)).toBe(Date.UTC(2021, 2, 1, 4, 0, 0, millis));
    });

    it('keeps .9999 at the end of an hour inside that hour rather than rounding into the next', () => {
      const time = parseTimestamp('2021-03-01T04:59:59.9999Z');

      expect(time).toBe(Date.UTC(2021, 2, 1, 4, 59, 59, 999));
      expect(hourStart(time)).toBe(Date.UTC(2021, 2, 1, 4));
    });

    it('keeps .9999 at the end of a year inside that year', () => {
      expect(parseTimestamp('2020-12-31 23:59:59.9999+00')).toBe(Date.UTC(2020, 11, 31, 23, 59, 59, 999));
    });
  });

  describe('calendar dates', () => {
    it.each([
      ['Feb 29 of a leap year', '2024-02-29', Date.UTC(2024, 1, 29)],
      ['Feb 29 of a leap century', '2000-02-29T12:00:00Z', Date.UTC(2000, 1, 29, 12)],
      ['Dec 31', '2021-12-31T23:59:59Z', Date.UTC(2021, 11, 31, 23, 59, 59)],
      ['the first instant accepted', '1970-01-01T00:00:00Z', 0],
      ['the last instant accepted', '9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ])('accepts %s', (_case, text, expected) => {
      expect(parseTimestamp(text)).toBe(expected);
    });

    it.each([
      ['Feb 30', '2021-02-30'],
      ['Feb 29 of a non-leap year', '2021-02-29T00:00:00Z'],
      ['Feb 29 of a century that is not a leap year', '2100-02-29'],
      ['Apr 31', '2021-04-31T00:00:00Z'],
      ['day 0', '2021-03-00'],
      ['month 0', '2021-00-10'],
      ['month 13', '2021-13-01'],
    ])('rejects %s as no such calendar date', (_case, text) => {
      expect(rejectionOf(text).reason).toMatch(/calendar date/);
    });
  });

  describe('times of day and offsets out of range', () => {
    it.each([
      ['hour 24', '2021-03-01T24:00:00Z'],
      ['minute 60', '2021-03-01T04:60:00Z'],
      ['second 60 (a leap second)', '2021-03-01T04:00:60Z'],
    ])('rejects %s', (_case, text) => {
      expect(rejectionOf(text).reason).toMatch(/time of day/);
    });

    it.each([
      ['+24', '2021-03-01T04:00:00+24'],
      ['+24:00', '2021-03-01T04:00:00+24:00'],
      ['-23:60', '2021-03-01T04:00:00-23:60'],
    ])('rejects the offset %s', (_case, text) => {
      expect(rejectionOf(text).reason).toMatch(/offset/);
    });
  });

  describe('text that is no timestamp', () => {
    it.each([
      ['empty text', ''],
      ['a word', 'yesterday'],
      ['epoch milliseconds', '1614571200000'],
      ['a trailing space', '2021-03-01T04:00:00Z '],
      ['a leading space', ' 2021-03-01T04:00:00Z'],
      ['a trailing newline', '2021-03-01\n'],
      ['one-digit month and day', '2021-3-1'],
      ['a one-digit hour', '2021-03-01T4:00:00Z'],
      ['a separator without a time', '2021-03-01T'],
      ['an hour without minutes', '2021-03-01T04Z'],
      ['an offset on a bare date', '2021-03-01Z'],
      ['10 fraction digits', '2021-03-01T04:00:00.1234567890Z'],
      ['a dot without digits', '2021-03-01T04:00:00.Z'],
      ['a one-digit offset', '2021-03-01T04:00:00+1'],
      ['an offset with a dangling colon', '2021-03-01T04:00:00+01:'],
      ['a slash date', '2021/03/01'],
      ['a five-digit year', '12021-03-01'],
      ['a named zone', '2021-03-01T04:00:00 UTC'],
      // API Gateway joins repeated query parameters with commas: `starting_at=2021-03-01T04:00:00`
      // and `starting_at=5+05:00` arrive as one value that must not read as a time with a fraction.
      ['a comma as decimal sign', '2021-03-01T04:00:00,000Z'],
      ['two values joined by a comma', '2021-03-01T04:00:00,5+05:00'],
    ])('rejects %s', (_case, text) => {
      const error = rejectionOf(text);

      expect(error.value).toBe(text);
      expect(error.reason).toMatch(/ISO-8601/);
      expect(error.message).toContain(JSON.stringify(text));
    });
  });

  describe('instants outside 1970 to 9999', () => {
    it.each([
      ['the last millisecond of 1969', '1969-12-31T23:59:59.999Z'],
      ['a 1970 local time that is 1969 in UTC', '1970-01-01T00:30:00+01:00'],
      ['a year in the 1900s', '1900-01-01'],
      ['a year Date.UTC would read as 19xx', '0070-01-01'],
      ['year 0', '0000-01-01T00:00:00Z'],
      ['a 9999 local time that is 10000 in UTC', '9999-12-31T23:30:00-01:00'],
    ])('rejects %s and says which years are accepted', (_case, text) => {
      const error = rejectionOf(text);

      expect(error.reason).toMatch(/1970/);
      expect(error.reason).toMatch(/9999/);
    });
  });

  it('throws an InvalidTimestampError whose message shows the value received', () => {
    expect(() => parseTimestamp('2021-02-30')).toThrow(InvalidTimestampError);
    expect(() => parseTimestamp('2021-02-30')).toThrow('"2021-02-30"');
  });
});

describe('hourStart', () => {
  it('maps every instant of an hour to the hour start', () => {
    const four = Date.UTC(2021, 2, 1, 4);

    expect(hourStart(four)).toBe(four);
    expect(hourStart(four + 1)).toBe(four);
    expect(hourStart(four + HOUR_MS - 1)).toBe(four);
  });

  it('maps the first millisecond of the next hour to the next hour', () => {
    const four = Date.UTC(2021, 2, 1, 4);

    expect(hourStart(four + HOUR_MS)).toBe(four + HOUR_MS);
  });

  it('maps the epoch to itself', () => {
    expect(hourStart(0)).toBe(0);
  });
});

describe('dayStart', () => {
  it('maps every instant of a UTC day to its midnight', () => {
    const march1 = Date.UTC(2021, 2, 1);

    expect(dayStart(march1)).toBe(march1);
    expect(dayStart(march1 + DAY_MS - 1)).toBe(march1);
    expect(dayStart(march1 + DAY_MS)).toBe(Date.UTC(2021, 2, 2));
  });
});

describe('formatTimestamp', () => {
  it('writes UTC with a T, three fraction digits and Z', () => {
    expect(formatTimestamp(Date.UTC(2021, 2, 1, 4, 5, 6, 7))).toBe('2021-03-01T04:05:06.007Z');
    expect(formatTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('writes what parseTimestamp reads back to the same instant', () => {
    const time = parseTimestamp('2021-03-01 00:03:21.74+00');

    expect(parseTimestamp(formatTimestamp(time))).toBe(time);
  });
});
