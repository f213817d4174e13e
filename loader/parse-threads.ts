import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LineParser, type ParsedLines } from './parse-lines';

/** One parsed piece and which parser read it (each numbers customers its own way). */
export interface ParsedPiece extends ParsedLines {
  parser: number;
}

/** Pieces each thread may hold at once: enough to keep it busy, few enough to bound the memory. */
const PIECES_PER_THREAD = 4;

/** tsx's require hook, named apart so that a bundler leaves it alone: a bundle never needs it. */
const TSX_REQUIRE_HOOK = 'tsx/cjs';

/**
 * A parsing thread. Run from TypeScript sources (tsx), it registers tsx's require hook before it
 * loads its file, as the workers of a process started by the `tsx` command do not inherit it.
 */
function startWorker(): Worker {
  const extension = extname(__filename);
  const file = join(__dirname, `parse-worker${extension}`);
  if (extension !== '.ts') return new Worker(file);
  const code = `require(${JSON.stringify(require.resolve(TSX_REQUIRE_HOOK))});\nrequire(${JSON.stringify(file)});`;
  return new Worker(code, { eval: true });
}

/** Reads the pieces in this thread, one after the other. */
export async function* parseInThisThread(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<ParsedPiece> {
  const parser = new LineParser();
  for await (const piece of pieces) yield { ...parser.parse(piece), parser: 0 };
}

/**
 * Reads the pieces in `threads` worker threads (loader/parse-worker.ts), piece `i` in thread
 * `i % threads`, and yields them in input order, with at most PIECES_PER_THREAD per thread in
 * flight. The worker loads the loader's TypeScript sources, so this runs where they run as such
 * (`node --import tsx`, as `npm run load` does), not in a bundle.
 */
export async function* parseInThreads(
  pieces: AsyncIterable<Uint8Array>,
  threads: number,
): AsyncGenerator<ParsedPiece> {
  const workers = Array.from({ length: threads }, startWorker);
  // Each worker answers in the order it was asked: a queue of waiting answers per worker.
  const waiting = workers.map(
    () => [] as { resolve: (parsed: ParsedLines) => void; reject: (error: unknown) => void }[],
  );
  let failure: unknown;
  workers.forEach((worker, i) => {
    const queue = waiting[i] as (typeof waiting)[number];
    worker.on('message', (parsed: ParsedLines) => queue.shift()?.resolve(parsed));
    const fail = (error: unknown) => {
      failure ??= error;
      for (const pending of queue.splice(0)) pending.reject(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`a parsing thread stopped (exit code ${code})`)));
  });
  const inFlight: { promise: Promise<ParsedLines>; parser: number }[] = [];
  const send = (piece: Uint8Array, sent: number) => {
    const parser = sent % threads;
    // A copy the worker owns: the input's buffers may be shared or pooled.
    const copy = new Uint8Array(piece);
    const promise = new Promise<ParsedLines>((resolve, reject) => {
      if (failure !== undefined) reject(failure);
      else (waiting[parser] as (typeof waiting)[number]).push({ resolve, reject });
    });
    // Failures are taken when the piece is awaited, in order.
    promise.catch(() => {});
    (workers[parser] as Worker).postMessage(copy, [copy.buffer]);
    inFlight.push({ promise, parser });
  };
  try {
    let sent = 0;
    for await (const piece of pieces) {
      if (piece.length === 0) continue;
      send(piece, sent++);
      if (inFlight.length >= threads * PIECES_PER_THREAD) {
        const { promise, parser } = inFlight.shift() as (typeof inFlight)[number];
        yield { ...(await promise), parser };
      }
    }
    while (inFlight.length > 0) {
      const { promise, parser } = inFlight.shift() as (typeof inFlight)[number];
      yield { ...(await promise), parser };
    }
  } finally {
    for (const worker of workers) {
      worker.removeAllListeners('exit');
      await worker.terminate();
    }
  }
}
