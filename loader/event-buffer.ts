import type { Seen } from '../core/digests';
import { HOUR_MS } from '../core/time';
import type { CustomerTable } from './customers';

/** Words per buffered event: offset within the hour, digest high and low words, fingerprint, line. */
export const EVENT_WORDS = 5;

/**
 * A row whose transaction_id came earlier in the buffer, in the same hour, with another type or
 * time. Which of the two stands is decided when the hour's counted digests are known: the one the
 * table holds, else the first.
 */
export interface BufferedVariant {
  transactionId: string;
  digestHi: number;
  digestLo: number;
  fingerprint: number;
  /** Epoch milliseconds of the event. */
  time: number;
  line: number;
  raw: string;
}

/** The buffered events of one (customer, hour), EVENT_WORDS uint32 words each, in input order. */
export interface BufferedHour {
  customerId: string;
  /** Epoch milliseconds of the hour's start. */
  hour: number;
  /** `count` events; valid until the buffer takes another event or is cleared. */
  events: Uint32Array;
  count: number;
  variants: BufferedVariant[];
}

/** Words per event in the buffer's arena: the event's words and the index of its hour. */
const ARENA_WORDS = EVENT_WORDS + 1;
const NO_EVENTS = new Uint32Array(0);

/** Slots of the dedup table are 4 words: digest high, digest low, hour number + 1, fingerprint. */
const SLOT_WORDS = 4;
const MAX_LOAD = 0.7;
const INITIAL_SLOTS = 1 << 12;

/**
 * The events read since the last write, grouped by (customer, hour), with repeats inside the
 * buffer dropped as they come: an open-addressing table keyed by the transaction_id digest and
 * the hour it belongs to, holding the content fingerprint, so a repeat is `same`; a reuse with
 * another type or time in the same hour is kept aside as a variant, to be judged once the table's
 * digests of that hour are read (`conflict`). Events go to one arena in input order, and are
 * grouped by hour (a counting sort into a second arena) only when the buffer is read: no array per
 * hour to allocate and grow, which costs more than the event itself for hours of a few events.
 * About 70 bytes an event (the two arenas and the table); the loader writes and clears the buffer
 * when it is full, so memory does not grow with the input.
 */
export class EventBuffer {
  /** Index in `hours` by hour number, by customer number: small integer keys, which V8 hashes fastest. */
  private readonly hourIndexes: Map<number, number>[] = [];
  private readonly hours: BufferedHour[] = [];
  private slots = new Uint32Array(INITIAL_SLOTS * SLOT_WORDS);
  private mask = INITIAL_SLOTS - 1;
  /** The hour of the last `add`, which `addVariant` adds to. */
  private lastHour: BufferedHour | undefined;
  /** ARENA_WORDS words per event, in input order. */
  private arena = new Uint32Array(1024 * ARENA_WORDS);
  /** Events in the arena. */
  private events = 0;
  /** The events grouped by hour, as the hours' `events` view them; undefined when out of date. */
  private grouped: Uint32Array | undefined;
  private groupedArena = NO_EVENTS;
  /** Rows held: events and variants. */
  size = 0;

  /** `customers` names the customer numbers given to `add`. */
  constructor(private readonly customers: CustomerTable) {}

  /**
   * Adds one event unless the buffer holds its transaction_id (its digest) in the same hour
   * already: `same` for a repeat (dropped), `conflict` for a reuse with other content, which the
   * caller then keeps with `addVariant`. The customer is its number in the load's `CustomerTable`.
   */
  add(
    customer: number,
    time: number,
    digestHi: number,
    digestLo: number,
    fingerprint: number,
    line: number,
  ): Seen {
    const hourNumber = Math.floor(time / HOUR_MS);
    let byHour = this.hourIndexes[customer];
    if (byHour === undefined) {
      byHour = new Map();
      this.hourIndexes[customer] = byHour;
    }
    let index = byHour.get(hourNumber);
    if (index === undefined) {
      index = this.hours.length;
      byHour.set(hourNumber, index);
      this.hours.push({
        customerId: this.customers.ids[customer] as string,
        hour: hourNumber * HOUR_MS,
        events: NO_EVENTS,
        count: 0,
        variants: [],
      });
    }
    const hour = this.hours[index] as BufferedHour;
    this.lastHour = hour;
    const seen = this.remember(digestHi, digestLo, index + 1, fingerprint);
    if (seen !== 'new') return seen;
    this.size++;
    if ((this.events + 1) * ARENA_WORDS > this.arena.length) {
      const grown = new Uint32Array(this.arena.length * 2);
      grown.set(this.arena);
      this.arena = grown;
    }
    const at = this.events * ARENA_WORDS;
    const arena = this.arena;
    arena[at] = time - hourNumber * HOUR_MS;
    arena[at + 1] = digestHi;
    arena[at + 2] = digestLo;
    arena[at + 3] = fingerprint;
    arena[at + 4] = line;
    arena[at + 5] = index;
    this.events++;
    hour.count++;
    this.grouped = undefined;
    return 'new';
  }

  /** Keeps the row that the last `add` found to be a `conflict`, to be judged when its hour is written. */
  addVariant(variant: BufferedVariant): void {
    (this.lastHour as BufferedHour).variants.push(variant);
    this.size++;
  }

  /** The buffered hours, in the order they were first seen. */
  buffered(): readonly BufferedHour[] {
    if (this.grouped === undefined) this.group();
    return this.hours;
  }

  /** Sorts the arena's events by hour (stable: input order within an hour) and points the hours at them. */
  private group(): void {
    if (this.groupedArena.length < this.events * EVENT_WORDS) {
      this.groupedArena = new Uint32Array(this.arena.length);
    }
    const grouped = this.groupedArena;
    const starts = new Uint32Array(this.hours.length + 1);
    for (let i = 0; i < this.hours.length; i++) {
      starts[i + 1] = (starts[i] as number) + (this.hours[i] as BufferedHour).count * EVENT_WORDS;
    }
    const next = starts.slice(0, this.hours.length);
    const arena = this.arena;
    for (let at = 0; at < this.events * ARENA_WORDS; at += ARENA_WORDS) {
      const hour = arena[at + EVENT_WORDS] as number;
      const to = next[hour] as number;
      for (let w = 0; w < EVENT_WORDS; w++) grouped[to + w] = arena[at + w] as number;
      next[hour] = to + EVENT_WORDS;
    }
    this.hours.forEach((hour, i) => {
      hour.events = grouped.subarray(starts[i] as number, starts[i + 1] as number);
    });
    this.grouped = grouped;
  }

  /** Empties the buffer for the next events. */
  clear(): void {
    this.hourIndexes.length = 0;
    this.hours.length = 0;
    this.lastHour = undefined;
    this.events = 0;
    this.grouped = undefined;
    // The table keeps its size: the next buffer is likely as large, and growing it again costs more.
    this.slots.fill(0);
    this.size = 0;
  }

  private remember(hi: number, lo: number, hourKey: number, fingerprint: number): Seen {
    const slots = this.slots;
    for (let slot = (hi ^ Math.imul(hourKey, 0x9e3779b1)) & this.mask; ; slot = (slot + 1) & this.mask) {
      const at = slot * SLOT_WORDS;
      if (slots[at + 2] === 0) {
        slots[at] = hi;
        slots[at + 1] = lo;
        slots[at + 2] = hourKey;
        slots[at + 3] = fingerprint;
        if (this.size + 1 > (this.mask + 1) * MAX_LOAD) this.grow();
        return 'new';
      }
      if (slots[at] === hi && slots[at + 1] === lo && slots[at + 2] === hourKey) {
        return slots[at + 3] === fingerprint ? 'same' : 'conflict';
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Uint32Array(capacity * SLOT_WORDS);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += SLOT_WORDS) {
      const hourKey = old[at + 2] as number;
      if (hourKey === 0) continue;
      let slot = ((old[at] as number) ^ Math.imul(hourKey, 0x9e3779b1)) & this.mask;
      while (this.slots[slot * SLOT_WORDS + 2] !== 0) slot = (slot + 1) & this.mask;
      this.slots.set(old.subarray(at, at + SLOT_WORDS), slot * SLOT_WORDS);
    }
  }
}
