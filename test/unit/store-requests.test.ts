import { CorruptItemError } from '../../core/errors';
import { counterKey, hourOfCounterSk } from '../../core/keys';
import { readHourCounts } from '../../core/store-requests';

const HOUR = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const counter = (hour: number, count: unknown) => ({ sk: counterKey('alpha', hour).sk, count });

describe('readHourCounts', () => {
  it('reads the hour start of every counter of a leap year as Date.parse of its key does', () => {
    const first = at('2024-01-01T00:00:00Z');
    const items = Array.from({ length: 366 * 24 }, (_, i) => counter(first + i * HOUR, i % 5));

    const counts = readHourCounts(items);

    expect([...counts.keys()]).toEqual(items.map((item) => hourOfCounterSk(item.sk)));
    expect([...counts.values()]).toEqual(items.map((item) => item.count));
  });

  it('reads counters of days that are not in key order, and a day that comes back', () => {
    const hours = [
      at('2021-03-02T05:00:00Z'),
      at('2021-03-01T23:00:00Z'),
      at('2021-03-02T00:00:00Z'),
      at('2020-02-29T07:00:00Z'),
    ];

    const counts = readHourCounts(hours.map((hour, i) => counter(hour, i + 1)));

    expect(counts).toEqual(new Map(hours.map((hour, i) => [hour, i + 1])));
  });

  it.each([
    ['an hour past 23', 'H#2021-03-01T24'],
    ['one hour digit', 'H#2021-03-01T4'],
    ['a month 13', 'H#2021-13-01T04'],
    ['no date', 'H#garbage'],
    ['a time index key', 'I#2021-03-01T04#000001#0000'],
  ])('decides on a key with %s as Date.parse of the whole key does', (_, sk) => {
    const read = () => readHourCounts([{ pk: 'C#alpha', sk, count: 1 }]);
    const hour = sk.startsWith('H#') ? hourOfCounterSk(sk) : Number.NaN;

    if (Number.isFinite(hour)) expect(read()).toEqual(new Map([[hour, 1]]));
    else
      expect(read).toThrow(`stored item C#alpha ${sk} is not an hourly counter (sort key H#yyyy-mm-ddThh)`);
  });

  it('rejects a counter after a valid one of the same day whose hour is not a number', () => {
    const read = () =>
      readHourCounts([
        counter(at('2021-03-01T04:00:00Z'), 1),
        { pk: 'C#alpha', sk: 'H#2021-03-01Tx5', count: 1 },
      ]);

    expect(read).toThrow(CorruptItemError);
    expect(read).toThrow('H#2021-03-01Tx5 is not an hourly counter');
  });

  it.each([
    ['missing', undefined, 'none'],
    ['a fraction', 1.5, 'number 1.5'],
    ['negative', -1, 'number -1'],
    ['a string', '7', 'string "7"'],
  ])('rejects a count that is %s, naming the stored value', (_, count, described) => {
    const read = () => readHourCounts([{ pk: 'C#alpha', ...counter(at('2021-03-01T04:00:00Z'), count) }]);

    expect(read).toThrow(CorruptItemError);
    expect(read).toThrow(
      `stored item C#alpha H#2021-03-01T04 has count ${described}; a counter holds a whole number >= 0`,
    );
  });
});
