import { parentPort } from 'node:worker_threads';
import { LineParser } from './parse-lines';

/*
 * A thread that reads pieces of whole lines for a load (loader/parse-threads.ts): each message is
 * one piece, answered with its ParsedLines, in the order received.
 */
const parser = new LineParser();
parentPort?.on('message', (bytes: Uint8Array) => {
  const parsed = parser.parse(bytes);
  parentPort?.postMessage(parsed, [
    parsed.bytes.buffer as ArrayBuffer,
    parsed.bounds.buffer as ArrayBuffer,
    parsed.rows.buffer as ArrayBuffer,
  ]);
});
