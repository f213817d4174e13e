import { InvalidTimestampError, parseTimestamp } from '../../core/time';

describe('parseTimestamp', () => {
  it.each([
    ['2021-03-01 00:03:21.74+00', Date.UTC(2021, 2, 1, 0, 3, 21, 740)],
    ['2021-03-01 00:03:21.7+00', Date.UTC(2021, 2, 1, 0, 3, 21, 700)],
    ['2021-03-01 00:03:21.055+00', Date.UTC(2021, 2, 1, 0, 3, 21, 55)],
    ['2021-03-01 00:03:21+00', Date.UTC(2021, 2, 1, 0, 3, 21)],
  ])('reads the CSV form %s', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });

  it('rejects a month 13', () => {
    expect(() => parseTimestamp('2021-13-01')).toThrow(InvalidTimestampError);
  });
});
