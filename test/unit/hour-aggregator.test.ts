import { HourAggregator } from '../../loader/hour-aggregator';

const HOUR = 3_600_000;
const FOUR = Date.UTC(2021, 2, 1, 4);
const FIVE = FOUR + HOUR;

/** The aggregates as plain data, keyed by `customer hourISO`. */
function collect(aggregator: HourAggregator): Map<string, number[]> {
  const result = new Map<string, number[]>();
  for (const { customerId, hour, offsets } of aggregator.hours()) {
    result.set(`${customerId} ${new Date(hour).toISOString()}`, [...offsets]);
  }
  return result;
}

describe('HourAggregator', () => {
  it('groups events by customer and clock hour, as offsets from the hour start', () => {
    const aggregator = new HourAggregator();

    aggregator.add('alpha', FOUR + 1_500);
    aggregator.add('bravo', FOUR + 20);
    aggregator.add('alpha', FIVE + 7);

    expect(collect(aggregator)).toEqual(
      new Map([
        ['alpha 2021-03-01T04:00:00.000Z', [1_500]],
        ['bravo 2021-03-01T04:00:00.000Z', [20]],
        ['alpha 2021-03-01T05:00:00.000Z', [7]],
      ]),
    );
  });

  it('yields each hour start as epoch milliseconds on the hour', () => {
    const aggregator = new HourAggregator();

    aggregator.add('alpha', FOUR + 59 * 60_000);

    expect([...aggregator.hours()].map((aggregate) => aggregate.hour)).toEqual([FOUR]);
  });

  it('puts an event on the hour into that hour at offset 0, and the millisecond before into the previous hour', () => {
    const aggregator = new HourAggregator();

    aggregator.add('alpha', FIVE);
    aggregator.add('alpha', FIVE - 1);

    expect(collect(aggregator)).toEqual(
      new Map([
        ['alpha 2021-03-01T05:00:00.000Z', [0]],
        ['alpha 2021-03-01T04:00:00.000Z', [HOUR - 1]],
      ]),
    );
  });

  it('sorts offsets numerically, not as text', () => {
    const aggregator = new HourAggregator();

    for (const offset of [1_000_000, 20, 300, 9, 3_599_999, 0]) aggregator.add('alpha', FOUR + offset);

    expect(collect(aggregator).get('alpha 2021-03-01T04:00:00.000Z')).toEqual([
      0, 9, 20, 300, 1_000_000, 3_599_999,
    ]);
  });

  it('keeps events at the same millisecond as distinct events', () => {
    const aggregator = new HourAggregator();

    aggregator.add('alpha', FOUR + 42);
    aggregator.add('alpha', FOUR + 42);
    aggregator.add('alpha', FOUR + 42);

    expect(collect(aggregator).get('alpha 2021-03-01T04:00:00.000Z')).toEqual([42, 42, 42]);
  });

  it('keeps every event of a busy hour, far past its initial capacity', () => {
    const aggregator = new HourAggregator();
    const events = 10_000;

    for (let i = events - 1; i >= 0; i--) aggregator.add('alpha', FOUR + i * 360);

    const offsets = collect(aggregator).get('alpha 2021-03-01T04:00:00.000Z') ?? [];
    expect(offsets).toHaveLength(events);
    expect(offsets[0]).toBe(0);
    expect(offsets[events - 1]).toBe((events - 1) * 360);
    expect(offsets.every((offset, i) => i === 0 || offset >= (offsets[i - 1] ?? 0))).toBe(true);
  });

  it('yields offsets that hold exactly the events added, not the spare capacity behind them', () => {
    const aggregator = new HourAggregator();

    for (let i = 0; i < 17; i++) aggregator.add('alpha', FOUR + i);

    const [aggregate] = [...aggregator.hours()];
    expect(aggregate?.offsets.length).toBe(17);
  });

  it('yields nothing before any event is added', () => {
    expect([...new HourAggregator().hours()]).toEqual([]);
  });
});
