import { createEdgeCache, DEFAULT_EDGE_CACHE_BYTES } from '../../core/edge-cache';
import { type HourIndex, hourIndexBytes } from '../../core/time-index';

const H = Date.UTC(2021, 2, 1, 4);
const HOUR = 3_600_000;

/** An index of `events` whole offsets. */
const indexOf = (events: number): HourIndex => ({
  writes: 1,
  events,
  whole: Uint32Array.from({ length: events }, (_, i) => i),
  splitBefore: new Uint32Array(61),
  minutes: new Map(),
});

describe('createEdgeCache', () => {
  it('returns what was set for the same customer and hour, and nothing for another', () => {
    const cache = createEdgeCache(DEFAULT_EDGE_CACHE_BYTES);
    const index = indexOf(3);

    cache.set('alpha', H, index);

    expect(cache.get('alpha', H)).toBe(index);
    expect(cache.get('alpha', H + HOUR)).toBeUndefined();
    expect(cache.get('beta', H)).toBeUndefined();
  });

  it('replaces the entry of an hour, counting its bytes once', () => {
    const cache = createEdgeCache(DEFAULT_EDGE_CACHE_BYTES);
    cache.set('alpha', H, indexOf(1_000));
    const bytes = cache.bytes;

    cache.set('alpha', H, indexOf(10));

    expect(cache.size).toBe(1);
    expect(cache.get('alpha', H)?.events).toBe(10);
    expect(cache.bytes).toBe(bytes - 990 * 4);
  });

  it('drops the least recently used entries once the bytes pass the bound, never holding more', () => {
    const entryBytes = hourIndexBytes(indexOf(100)) + 96 + 'alpha'.length * 2;
    const cache = createEdgeCache(entryBytes * 3);
    cache.set('alpha', H, indexOf(100));
    cache.set('alpha', H + HOUR, indexOf(100));
    cache.set('alpha', H + 2 * HOUR, indexOf(100));
    // Using the oldest makes the second the least recently used.
    cache.get('alpha', H);

    cache.set('alpha', H + 3 * HOUR, indexOf(100));

    expect(cache.bytes).toBeLessThanOrEqual(entryBytes * 3);
    expect(cache.size).toBe(3);
    expect(cache.get('alpha', H + HOUR)).toBeUndefined();
    expect(cache.get('alpha', H)).toBeDefined();
    expect(cache.get('alpha', H + 3 * HOUR)).toBeDefined();
  });

  it('keeps no entry larger than the whole bound, and drops none for it', () => {
    const cache = createEdgeCache(10_000);
    cache.set('alpha', H, indexOf(10));

    cache.set('alpha', H + HOUR, indexOf(10_000));

    expect(cache.get('alpha', H + HOUR)).toBeUndefined();
    expect(cache.get('alpha', H)).toBeDefined();
  });

  it.each([0, -5, 2.5, Number.POSITIVE_INFINITY])(
    'refuses a bound of %p bytes, naming edgeCacheBytes',
    (bytes) => {
      expect(() => createEdgeCache(bytes)).toThrow(
        `edgeCacheBytes must be a whole number of bytes >= 1; received ${bytes}`,
      );
    },
  );
});
