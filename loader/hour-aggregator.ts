import type { HourAggregate } from '../core/counter-store';
import { HOUR_MS } from '../core/time';

/** A growable array of uint32 offsets: 4 bytes per event instead of a JS number's 8+. */
class OffsetList {
  values = new Uint32Array(16);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Uint32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
}

/**
 * Aggregates events into per-customer hourly time indexes in memory: the loader's memory grows
 * with the number of events kept (4 bytes each) and (customer, hour) pairs, not with the file.
 */
export class HourAggregator {
  // Keyed by hour number (epoch hours, a small integer) rather than epoch milliseconds, which are
  // too large for V8's small integers and would make every lookup hash a heap number.
  private readonly customers = new Map<string, Map<number, OffsetList>>();

  /** Adds one event of `customerId` at `time` (epoch milliseconds). */
  add(customerId: string, time: number): void {
    let hours = this.customers.get(customerId);
    if (hours === undefined) {
      hours = new Map();
      this.customers.set(customerId, hours);
    }
    const hourNumber = Math.floor(time / HOUR_MS);
    let offsets = hours.get(hourNumber);
    if (offsets === undefined) {
      offsets = new OffsetList();
      hours.set(hourNumber, offsets);
    }
    offsets.push(time - hourNumber * HOUR_MS);
  }

  /**
   * The aggregates, each with its offsets sorted ascending. The offsets are sorted in place and
   * handed out as views, not copies, so the peak memory stays at one array per hour.
   */
  *hours(): Generator<HourAggregate> {
    for (const [customerId, hours] of this.customers) {
      for (const [hourNumber, list] of hours) {
        const offsets = list.values.subarray(0, list.length).sort();
        yield { customerId, hour: hourNumber * HOUR_MS, offsets };
      }
    }
  }
}
