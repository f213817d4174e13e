import type { HourIndexRead } from '../../core/counter-store';
import { createEdgeCache } from '../../core/edge-cache';
import { type CountReader, queryEventCounts, queryTotalEvents } from '../../core/event-counts';
import type { HourIndex } from '../../core/time-index';

const H = Date.UTC(2021, 3, 1, 4);
const HOUR = 3_600_000;

describe('queryTotalEvents', () => {
  it('answers 0 without reading when only ending_before is given and it is the epoch', async () => {
    const reader: CountReader = {
      queryHourCounts: jest.fn(async () => new Map<number, number>()),
      countEventsInHour: jest.fn(async () => 0),
    };

    const total = await queryTotalEvents(reader, 'c1', { end: 0 });

    expect(total).toBe(0);
    expect(reader.queryHourCounts).not.toHaveBeenCalled();
  });
});

describe('queryEventCounts with an edge cache', () => {
  /** An hour index of whole offsets. */
  const indexOf = (offsets: number[]): HourIndex => ({
    writes: offsets.length === 0 ? 0 : 1,
    events: offsets.length,
    whole: Uint32Array.from(offsets),
    splitBefore: new Uint32Array(61),
    minutes: new Map(),
  });
  // 04:30 to 06:00: hour 4 is the only partial edge.
  const range = { start: H + HOUR / 2, end: H + 2 * HOUR };

  function readerWith(reads: HourIndexRead[], counters: Map<number, number>) {
    const readHourIndex = jest.fn(async () => reads.shift() ?? { index: indexOf([]), consistent: true });
    const reader: CountReader = {
      queryHourCounts: jest.fn(async () => new Map(counters)),
      countEventsInHour: jest.fn(async () => {
        throw new Error('the cached path reads through readHourIndex');
      }),
      readHourIndex,
      edgeCache: createEdgeCache(1_000_000),
    };
    return { reader, readHourIndex };
  }

  it('does not keep a read that saw part of a write: the next request reads again', async () => {
    const torn = { index: indexOf([1, HOUR - 1]), consistent: false };
    const { reader, readHourIndex } = readerWith([torn, torn], new Map([[H, 2]]));

    await queryEventCounts(reader, 'c1', range);
    const { total } = await queryEventCounts(reader, 'c1', range);

    expect(total).toBe(1);
    expect(readHourIndex).toHaveBeenCalledTimes(2);
  });

  it('reads again when the counter is behind the entry, as when it is ahead', async () => {
    const { reader, readHourIndex } = readerWith(
      [{ index: indexOf([1, HOUR - 1]), consistent: true }],
      new Map([[H, 1]]),
    );

    await queryEventCounts(reader, 'c1', range);
    await queryEventCounts(reader, 'c1', range);

    expect(readHourIndex).toHaveBeenCalledTimes(2);
  });

  it('answers from the entry when the counter equals its events', async () => {
    const { reader, readHourIndex } = readerWith(
      [{ index: indexOf([1, HOUR / 2, HOUR - 1]), consistent: true }],
      new Map([[H, 3]]),
    );

    await queryEventCounts(reader, 'c1', range);
    const { counts } = await queryEventCounts(reader, 'c1', range);

    expect(counts).toEqual([2, 0]);
    expect(readHourIndex).toHaveBeenCalledTimes(1);
  });

  it('rejects with the edge read error, handled, while the counter Query is still pending', async () => {
    let release: (counts: Map<number, number>) => void = () => {};
    const reader: CountReader = {
      queryHourCounts: () =>
        new Promise((resolve) => {
          release = resolve;
        }),
      countEventsInHour: async () => 0,
      readHourIndex: async () => {
        throw new Error('index read failed');
      },
      edgeCache: createEdgeCache(1_000_000),
    };

    const answer = queryEventCounts(reader, 'c1', range).catch((error: Error) => error.message);
    await new Promise((resolve) => setImmediate(resolve));
    release(new Map());

    await expect(answer).resolves.toBe('index read failed');
  });

  it('reads no index for a range of whole hours', async () => {
    const { reader, readHourIndex } = readerWith([], new Map([[H, 3]]));

    await queryEventCounts(reader, 'c1', { start: H, end: H + 2 * HOUR });

    expect(readHourIndex).not.toHaveBeenCalled();
  });
});
