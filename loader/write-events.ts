import type { CounterStore } from '../core/counter-store';
import type { DigestFragment } from '../core/digests';
import { packDigests } from '../core/digests';
import { WriteConflictError } from '../core/errors';
import { hourKeyPart } from '../core/keys';
import {
  customersOf,
  type HourWrite,
  MAX_EVENTS_PER_HOUR_WRITE,
  type PlannedTransaction,
  planTransactions,
} from '../core/write-plan';
import { type BufferedHour, type BufferedVariant, EVENT_WORDS } from './event-buffer';
import { show } from './event-row';

/** The store calls a write needs; the DynamoDB store provides them, tests may fake them. */
export type WriteStore = Pick<CounterStore, 'tableName' | 'readHourState' | 'commit' | 'widenCustomerSpan'>;

/** What writing buffered events did; a write adds to it as it goes, so a failed write leaves what it did. */
export interface WriteStats {
  /** Events counted. */
  accepted: number;
  /** Rows whose transaction_id is counted in their hour already (by an earlier load), with the same content. */
  alreadyCounted: number;
  /** Rows whose transaction_id is counted in their hour, or came earlier in the input, with another type or time. */
  conflicts: number;
  /** The conflicts with an event earlier in the input rather than in the table. */
  inputConflicts: number;
  transactions: number;
  itemsWritten: number;
}

/** Stats of nothing written yet. */
export const emptyWriteStats = (): WriteStats => ({
  accepted: 0,
  alreadyCounted: 0,
  conflicts: 0,
  inputConflicts: 0,
  transactions: 0,
  itemsWritten: 0,
});

export interface WriteOptions {
  store: WriteStore;
  /** Requests in flight at once. */
  concurrency: number;
  /** Called for each conflicting row, with its text when the buffer kept it (else ''). */
  onConflict: (line: number, reason: string, raw: string) => void | Promise<void>;
  /** Called as hours are read and written. */
  onProgress?: (hoursDone: number, hours: number) => void;
}

/** Hours read, planned and committed together: enough for full transactions, few enough to keep memory flat. */
const WINDOW_HOURS = 512;

/** What the table holds of a buffered row: the same event, or its transaction_id with other content. */
const SEEN_SAME = 1;
const SEEN_CONFLICT = 2;

/** How often one hour is re-read after losing a race before the load gives up. */
const MAX_STALE_READS = 50;

/** The events of one hour still to be written, sorted by digest, and the version they build on. */
interface PendingHour {
  customerId: string;
  hour: number;
  version: number;
  events: Uint32Array;
  staleReads: number;
}

const count = (pending: PendingHour) => pending.events.length / EVENT_WORDS;

/** Runs `tasks` `concurrency` at a time, never two at once that share a key. */
async function runExclusive<T>(
  tasks: readonly T[],
  concurrency: number,
  keysOf: (task: T) => readonly string[],
  run: (task: T) => Promise<void>,
): Promise<void> {
  const waiting = tasks.map((task) => ({ task, keys: keysOf(task) }));
  const busy = new Set<string>();
  let active = 0;
  let failure: { error: unknown } | undefined;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failure !== undefined) {
        if (active === 0) reject(failure.error);
        return;
      }
      if (waiting.length === 0 && active === 0) {
        resolve();
        return;
      }
      // Tasks come sorted by customer, so a blocked one is usually followed by others blocked alike:
      // look a bounded way ahead for one that is free.
      for (let i = 0; i < waiting.length && i < 64 && active < concurrency; ) {
        const { task, keys } = waiting[i] as { task: T; keys: readonly string[] };
        if (keys.some((key) => busy.has(key))) {
          i++;
          continue;
        }
        waiting.splice(i, 1);
        for (const key of keys) busy.add(key);
        active++;
        run(task)
          .catch((error: unknown) => {
            failure ??= { error };
          })
          .finally(() => {
            active--;
            for (const key of keys) busy.delete(key);
            pump();
          });
      }
    };
    pump();
  });
}

/** Runs `work` over `items`, `concurrency` at a time. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/**
 * Sorts the indexes `order[from..to)` of events by digest (high word, then low word) in place:
 * quicksort, insertion sort for short runs. No comparator callback and no object per event.
 */
function sortIndexes(order: Uint32Array, events: Uint32Array, from: number, to: number): void {
  while (to - from > 16) {
    const middle = order[(from + to) >>> 1] as number;
    const pivotHi = events[middle * EVENT_WORDS + 1] as number;
    const pivotLo = events[middle * EVENT_WORDS + 2] as number;
    let i = from;
    let j = to - 1;
    while (i <= j) {
      while (isBefore(events, order[i] as number, pivotHi, pivotLo)) i++;
      while (isAfter(events, order[j] as number, pivotHi, pivotLo)) j--;
      if (i <= j) {
        const swap = order[i] as number;
        order[i++] = order[j] as number;
        order[j--] = swap;
      }
    }
    // Recursing into the shorter side keeps the stack to log2(n) frames.
    if (j - from < to - i) {
      sortIndexes(order, events, from, j + 1);
      from = i;
    } else {
      sortIndexes(order, events, i, to);
      to = j + 1;
    }
  }
  for (let i = from + 1; i < to; i++) {
    const index = order[i] as number;
    const hi = events[index * EVENT_WORDS + 1] as number;
    const lo = events[index * EVENT_WORDS + 2] as number;
    let j = i;
    for (; j > from && isAfter(events, order[j - 1] as number, hi, lo); j--)
      order[j] = order[j - 1] as number;
    order[j] = index;
  }
}

/** True when event `a`'s digest is less than `bHi:bLo`. */
function isBefore(events: Uint32Array, a: number, bHi: number, bLo: number): boolean {
  const hi = events[a * EVENT_WORDS + 1] as number;
  return hi < bHi || (hi === bHi && (events[a * EVENT_WORDS + 2] as number) < bLo);
}

/** True when event `a`'s digest is greater than `bHi:bLo`. */
function isAfter(events: Uint32Array, a: number, bHi: number, bLo: number): boolean {
  const hi = events[a * EVENT_WORDS + 1] as number;
  return hi > bHi || (hi === bHi && (events[a * EVENT_WORDS + 2] as number) > bLo);
}

/** The events of `events` (EVENT_WORDS words each) sorted by digest. */
export function sortByDigest(events: Uint32Array): Uint32Array {
  const n = events.length / EVENT_WORDS;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  sortIndexes(order, events, 0, n);
  const sorted = new Uint32Array(events.length);
  for (let i = 0; i < n; i++) {
    const from = (order[i] as number) * EVENT_WORDS;
    const to = i * EVENT_WORDS;
    for (let w = 0; w < EVENT_WORDS; w++) sorted[to + w] = events[from + w] as number;
  }
  return sorted;
}

/** The hour write of the first MAX_EVENTS_PER_HOUR_WRITE pending events of an hour. */
function firstWrite(pending: PendingHour): HourWrite {
  const n = Math.min(count(pending), MAX_EVENTS_PER_HOUR_WRITE);
  const offsets = new Uint32Array(n);
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const fingerprints = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * EVENT_WORDS;
    offsets[i] = pending.events[at] as number;
    hi[i] = pending.events[at + 1] as number;
    lo[i] = pending.events[at + 2] as number;
    fingerprints[i] = pending.events[at + 3] as number;
  }
  const { customerId, hour, version } = pending;
  return { customerId, hour, version, offsets: offsets.sort(), digests: packDigests(hi, lo, fingerprints) };
}

/**
 * Writes the buffered hours so that each event is counted at most once in its (customer, hour),
 * whatever was loaded before and whoever loads at the same time. For each hour: read its stored
 * digests and version (consistently), keep the events it does not hold, and judge the variants
 * (rows reusing a buffered id with other content) against what it holds; then commit transactions
 * that add the events only if the hour's version is still the one read. A transaction that loses
 * that race is re-read and re-planned, so events another loader counted meanwhile are not counted
 * again. Last, each customer's first and last event time is widened to the events now counted.
 * `stats` is added to as the write goes.
 */
export async function writeBufferedHours(
  hours: readonly BufferedHour[],
  options: WriteOptions,
  stats: WriteStats = emptyWriteStats(),
): Promise<WriteStats> {
  const { store, concurrency, onConflict, onProgress } = options;
  let hoursDone = 0;
  const spans = new Map<string, { first: number; last: number }>();
  const widen = (customerId: string, time: number) => {
    const span = spans.get(customerId);
    if (span === undefined) spans.set(customerId, { first: time, last: time });
    else {
      span.first = Math.min(span.first, time);
      span.last = Math.max(span.last, time);
    }
  };
  const tableConflict = (customerId: string, hour: number, id: string) =>
    `conflict: ${id} was counted before for customer ${customerId} in hour ${hourKeyPart(hour)}:00Z with ` +
    'another event_type or timestamp; the event counted first stands';

  /**
   * Reads one hour's digests page by page (never all of a hot hour at once) and finds which of
   * `events` (EVENT_WORDS words each) and `variants` the table holds: SEEN_SAME or SEEN_CONFLICT per
   * row, 0 when new. Returns the hour's version with the findings.
   */
  const readSeen = async (
    customerId: string,
    hour: number,
    events: Uint32Array,
    variants: readonly BufferedVariant[],
  ) => {
    const eventSeen = new Uint8Array(events.length / EVENT_WORDS);
    const variantSeen = new Uint8Array(variants.length);
    const look = (fragment: DigestFragment, hi: number, lo: number, fingerprint: number) => {
      const stored = fragment.find(hi, lo);
      return stored === undefined ? 0 : stored === fingerprint ? SEEN_SAME : SEEN_CONFLICT;
    };
    const { version } = await store.readHourState(customerId, hour, (fragment) => {
      for (let i = 0; i < eventSeen.length; i++) {
        if (eventSeen[i] !== 0) continue;
        const at = i * EVENT_WORDS;
        eventSeen[i] = look(
          fragment,
          events[at + 1] as number,
          events[at + 2] as number,
          events[at + 3] as number,
        );
      }
      variants.forEach((variant, i) => {
        if (variantSeen[i] === 0) {
          variantSeen[i] = look(fragment, variant.digestHi, variant.digestLo, variant.fingerprint);
        }
      });
    });
    return { version, eventSeen, variantSeen };
  };

  /** Keeps the events the table does not hold; reports the conflicts among the others. */
  const sift = async (pending: PendingHour, version: number, seen: Uint8Array) => {
    // Nearly always the table holds none of them: then they are kept as they are.
    if (seen.every((found) => found === 0)) {
      pending.version = version;
      return;
    }
    const kept = new Uint32Array(pending.events.length);
    let keptWords = 0;
    for (let i = 0; i < seen.length; i++) {
      const at = i * EVENT_WORDS;
      if (seen[i] === 0) {
        for (let w = 0; w < EVENT_WORDS; w++) kept[keptWords + w] = pending.events[at + w] as number;
        keptWords += EVENT_WORDS;
      } else if (seen[i] === SEEN_SAME) {
        stats.alreadyCounted++;
        widen(pending.customerId, pending.hour + (pending.events[at] as number));
      } else {
        stats.conflicts++;
        const reason = tableConflict(pending.customerId, pending.hour, 'this transaction_id');
        await onConflict(pending.events[at + 4] as number, reason, '');
      }
    }
    pending.events = kept.subarray(0, keptWords);
    pending.version = version;
  };

  /** A variant is a duplicate of the event the table holds, else a conflict with it or with the buffered one. */
  const judge = async ({ customerId, hour }: BufferedHour, variant: BufferedVariant, seen: number) => {
    if (seen === SEEN_SAME) {
      stats.alreadyCounted++;
      widen(customerId, variant.time);
      return;
    }
    stats.conflicts++;
    // A row read back from spill files has left its id behind, and its raw line.
    const id =
      variant.transactionId === '' ? 'this transaction_id' : `transaction_id ${show(variant.transactionId)}`;
    if (seen === SEEN_CONFLICT) {
      await onConflict(variant.line, tableConflict(customerId, hour, id), variant.raw);
      return;
    }
    stats.inputConflicts++;
    await onConflict(
      variant.line,
      `conflict: ${id} came earlier in this input for the same customer and hour with another event_type or ` +
        'timestamp; the event counted first stands',
      variant.raw,
    );
  };

  /** Reads, sifts and commits one window of hours. */
  const writeWindow = async (window: readonly BufferedHour[]) => {
    const pendings: PendingHour[] = [];
    await forEachConcurrently(window, concurrency, async (buffered) => {
      const { customerId, hour, events, count: n, variants } = buffered;
      const pending = {
        customerId,
        hour,
        version: 0,
        events: events.subarray(0, n * EVENT_WORDS),
        staleReads: 0,
      };
      const { version, eventSeen, variantSeen } = await readSeen(customerId, hour, pending.events, variants);
      await sift(pending, version, eventSeen);
      for (const [i, variant] of variants.entries()) await judge(buffered, variant, variantSeen[i] as number);
      pending.events = sortByDigest(pending.events);
      if (count(pending) > 0) pendings.push(pending);
      else onProgress?.(++hoursDone, hours.length);
    });
    let work = pendings;
    while (work.length > 0) {
      const pendingOf = new Map<HourWrite, PendingHour>();
      for (const pending of work) pendingOf.set(firstWrite(pending), pending);
      const stale: PendingHour[] = [];
      await runExclusive(
        planTransactions(store.tableName, [...pendingOf.keys()]),
        concurrency,
        customersOf,
        async (transaction: PlannedTransaction) => {
          if ((await store.commit(transaction)) === 'stale') {
            for (const write of transaction.writes) stale.push(pendingOf.get(write) as PendingHour);
            return;
          }
          stats.transactions++;
          stats.itemsWritten += transaction.items.length;
          for (const write of transaction.writes) {
            const pending = pendingOf.get(write) as PendingHour;
            pending.staleReads = 0;
            stats.accepted += write.offsets.length;
            widen(write.customerId, write.hour + (write.offsets[0] as number));
            widen(write.customerId, write.hour + (write.offsets[write.offsets.length - 1] as number));
            pending.events = pending.events.subarray(write.offsets.length * EVENT_WORDS);
            pending.version++;
            if (count(pending) === 0) onProgress?.(++hoursDone, hours.length);
          }
        },
      );
      await forEachConcurrently(stale, concurrency, async (pending) => {
        if (++pending.staleReads > MAX_STALE_READS) {
          throw new WriteConflictError(
            `hour ${hourKeyPart(pending.hour)} of ${pending.customerId} changed under ${MAX_STALE_READS} attempts in a row`,
          );
        }
        const { version, eventSeen } = await readSeen(pending.customerId, pending.hour, pending.events, []);
        await sift(pending, version, eventSeen);
        if (count(pending) === 0) onProgress?.(++hoursDone, hours.length);
      });
      work = work.filter((pending) => count(pending) > 0);
    }
  };
  const widenSpans = () =>
    forEachConcurrently([...spans], concurrency, ([customerId, { first, last }]) =>
      store.widenCustomerSpan(customerId, first, last),
    );
  // A window at a time, so that the planned requests of a buffer spanning many hours never sit in
  // memory all at once.
  try {
    for (let from = 0; from < hours.length; from += WINDOW_HOURS) {
      await writeWindow(hours.slice(from, from + WINDOW_HOURS));
    }
  } catch (error) {
    // What was counted before the failure gets its span too; the failure is what the caller hears of.
    await widenSpans().catch(() => {});
    throw error;
  }
  // After the events are counted, so that the span never includes an event that lost a race: the
  // transaction that creates an entry sets its span from its own events, and this widens it.
  await widenSpans();
  return stats;
}
