import {
  type HourAggregate,
  MAX_ACTIONS_PER_CHUNK,
  planChunks,
  type WriteChunk,
} from '../../core/counter-store';

const HOUR = 3_600_000;
const FIRST_HOUR = Date.UTC(2021, 2, 1);

/** `hours` busy hours for each customer, with `perHour` events spread over each hour. */
function aggregates(customers: string[], hours: number, perHour: number): HourAggregate[] {
  const result: HourAggregate[] = [];
  for (const customerId of customers) {
    for (let h = 0; h < hours; h++) {
      const offsets = Uint32Array.from({ length: perHour }, (_, i) => 1_000 + i * 7 + h);
      result.push({ customerId, hour: FIRST_HOUR + h * HOUR, offsets });
    }
  }
  return result;
}

/** Every item key one chunk writes, the marker included. */
function itemKeys(chunk: WriteChunk): string[] {
  return [
    `marker ${chunk.sequence}`,
    ...chunk.counters.map((c) => `counter ${c.customerId} ${c.hour}`),
    ...chunk.indexParts.map((p) => `index ${p.customerId} ${p.hour} ${p.part}`),
    ...chunk.customers.map((c) => `directory ${c.customerId}`),
  ];
}

describe('planChunks and the customer directory', () => {
  const customers = ['alpha', 'bravo', 'charlie'];
  const hours = aggregates(customers, 150, 3);

  it('keeps every chunk within 100 actions and never writes one item twice in a chunk', () => {
    const chunks = planChunks('load', hours);

    for (const chunk of chunks) {
      const keys = itemKeys(chunk);
      expect(keys.length).toBeLessThanOrEqual(MAX_ACTIONS_PER_CHUNK);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });

  it('adds each customer to the directory once per load with its events, first and last event', () => {
    const chunks = planChunks('load', hours);
    const entries = chunks.flatMap((chunk) => chunk.customers);

    expect(entries).toEqual(
      customers.map((customerId) => ({
        customerId,
        events: 150 * 3,
        firstEventAt: FIRST_HOUR + 1_000,
        lastEventAt: FIRST_HOUR + 149 * HOUR + 1_000 + 2 * 7 + 149,
      })),
    );
  });

  it('puts directory updates in chunks of their own after every counter', () => {
    const chunks = planChunks('load', hours);
    const firstDirectory = chunks.findIndex((chunk) => chunk.customers.length > 0);

    expect(firstDirectory).toBeGreaterThan(0);
    for (const chunk of chunks.slice(firstDirectory)) {
      expect(chunk.counters).toHaveLength(0);
      expect(chunk.indexParts).toHaveLength(0);
    }
    expect(chunks.slice(0, firstDirectory).every((chunk) => chunk.customers.length === 0)).toBe(true);
  });

  it('splits a directory of many customers into chunks of 99 updates and a marker', () => {
    const many = Array.from({ length: 250 }, (_, i) => `customer-${String(i).padStart(3, '0')}`);

    const sizes = planChunks('load', aggregates(many, 1, 1))
      .map((chunk) => chunk.customers.length)
      .filter((size) => size > 0);

    expect(sizes).toEqual([99, 99, 52]);
  });

  it('plans the same chunks whatever order the aggregates come in', () => {
    const shuffled = [...hours].reverse();

    expect(planChunks('load', shuffled)).toEqual(planChunks('load', hours));
  });
});
