import type { CounterStore, HourState } from '../core/counter-store';
import { compareDigests, lookUpDigest, packDigests } from '../core/digests';
import { WriteConflictError } from '../core/errors';
import { hourKeyPart } from '../core/keys';
import {
  customersOf,
  type HourWrite,
  MAX_EVENTS_PER_HOUR_WRITE,
  type PlannedTransaction,
  planTransactions,
} from '../core/write-plan';
import { type BufferedHour, EVENT_WORDS } from './event-buffer';

/** The store calls a write needs; the DynamoDB store provides them, tests may fake them. */
export type WriteStore = Pick<CounterStore, 'tableName' | 'readHourState' | 'commit' | 'widenCustomerSpan'>;

/** What writing the buffered events did. */
export interface WriteStats {
  /** Events counted by this write. */
  accepted: number;
  /** Events whose transaction_id was counted in their hour before, with the same content. */
  alreadyCounted: number;
  /** Events whose transaction_id was counted in their hour before, with another type or time. */
  conflicts: number;
  transactions: number;
  itemsWritten: number;
}

export interface WriteOptions {
  store: WriteStore;
  /** Requests in flight at once. */
  concurrency: number;
  /** Called for each event whose transaction_id was counted in its hour with other content. */
  onConflict: (line: number, reason: string) => void | Promise<void>;
  /** Called as hours are read and written. */
  onProgress?: (hoursDone: number, hours: number) => void;
}

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
  const waiting = [...tasks];
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
      for (let i = 0; i < waiting.length && active < concurrency; ) {
        const keys = keysOf(waiting[i] as T);
        if (keys.some((key) => busy.has(key))) {
          i++;
          continue;
        }
        const [task] = waiting.splice(i, 1) as [T];
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

/** The events of `events` (EVENT_WORDS words each) sorted by digest. */
function sortByDigest(events: Uint32Array): Uint32Array {
  const n = events.length / EVENT_WORDS;
  const order = Array.from({ length: n }, (_, i) => i * EVENT_WORDS);
  order.sort((a, b) =>
    compareDigests(
      events[a + 1] as number,
      events[a + 2] as number,
      events[b + 1] as number,
      events[b + 2] as number,
    ),
  );
  const sorted = new Uint32Array(events.length);
  order.forEach((from, i) => {
    sorted.set(events.subarray(from, from + EVENT_WORDS), i * EVENT_WORDS);
  });
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
 * digests and version (consistently), keep the events it does not hold, widen the customers'
 * first and last event times, then commit transactions that add the events only if the hour's
 * version is still the one read. A transaction that loses that race is re-read and re-planned, so
 * events another loader counted meanwhile are not counted again.
 */
export async function writeBufferedHours(
  hours: readonly BufferedHour[],
  options: WriteOptions,
): Promise<WriteStats> {
  const { store, concurrency, onConflict, onProgress } = options;
  const stats: WriteStats = {
    accepted: 0,
    alreadyCounted: 0,
    conflicts: 0,
    transactions: 0,
    itemsWritten: 0,
  };
  let hoursDone = 0;

  /** Keeps the events `state` does not hold; reports the conflicts among the others. */
  const sift = async (pending: PendingHour, state: HourState) => {
    const kept = new Uint32Array(pending.events.length);
    let keptWords = 0;
    for (let at = 0; at < pending.events.length; at += EVENT_WORDS) {
      const hi = pending.events[at + 1] as number;
      const lo = pending.events[at + 2] as number;
      const seen = lookUpDigest(state.fragments, hi, lo, pending.events[at + 3] as number);
      if (seen === 'new') {
        kept.set(pending.events.subarray(at, at + EVENT_WORDS), keptWords);
        keptWords += EVENT_WORDS;
      } else if (seen === 'same') {
        stats.alreadyCounted++;
      } else {
        stats.conflicts++;
        await onConflict(
          pending.events[at + 4] as number,
          `conflict: this transaction_id was counted before for customer ${pending.customerId} in hour ` +
            `${hourKeyPart(pending.hour)}:00Z with another event_type or timestamp; the event counted first stands`,
        );
      }
    }
    pending.events = kept.subarray(0, keptWords);
    pending.version = state.version;
  };

  const pendings: PendingHour[] = [];
  await forEachConcurrently(hours, concurrency, async ({ customerId, hour, events, count: n }) => {
    const pending = {
      customerId,
      hour,
      version: 0,
      events: events.subarray(0, n * EVENT_WORDS),
      staleReads: 0,
    };
    await sift(pending, await store.readHourState(customerId, hour));
    pending.events = sortByDigest(pending.events);
    if (count(pending) > 0) pendings.push(pending);
    else onProgress?.(++hoursDone, hours.length);
  });

  const spans = new Map<string, { first: number; last: number }>();
  for (const { customerId, hour, events } of pendings) {
    const span = spans.get(customerId) ?? { first: Number.POSITIVE_INFINITY, last: Number.NEGATIVE_INFINITY };
    for (let at = 0; at < events.length; at += EVENT_WORDS) {
      span.first = Math.min(span.first, hour + (events[at] as number));
      span.last = Math.max(span.last, hour + (events[at] as number));
    }
    spans.set(customerId, span);
  }
  // Before the events are counted, so that a customer with counted events always has its span.
  await forEachConcurrently([...spans], concurrency, ([customerId, { first, last }]) =>
    store.widenCustomerSpan(customerId, first, last),
  );

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
          stats.accepted += write.offsets.length;
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
      await sift(pending, await store.readHourState(pending.customerId, pending.hour));
      if (count(pending) === 0) onProgress?.(++hoursDone, hours.length);
    });
    work = work.filter((pending) => count(pending) > 0);
  }
  return stats;
}
