import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { errorMessage } from '../core/errors';

/** One version of an S3 object, as an event notification names it. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  size: number;
  /** The entity tag of the version notified; reads then fail if the object was replaced since. */
  eTag?: string;
}

/** The object was overwritten or deleted after the notification: its content is no longer the one notified. */
export class ObjectChangedError extends Error {
  constructor(object: S3ObjectRef, cause: unknown) {
    super(`s3://${object.bucket}/${object.key} changed since it was notified (${errorMessage(cause)})`, {
      cause,
    });
    this.name = 'ObjectChangedError';
  }
}

/** A read broke off too often in a row without receiving a byte. */
export class ObjectReadError extends Error {
  constructor(object: S3ObjectRef, offset: number, attempts: number, cause: unknown) {
    super(
      `reading s3://${object.bucket}/${object.key} broke off at byte ${offset}, ${attempts} times in a row ` +
        `(${errorMessage(cause)})`,
      { cause },
    );
    this.name = 'ObjectReadError';
  }
}

const status = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** How often in a row a read that broke off is resumed, with no byte received in between, before it fails. */
const MAX_RESUMES = 5;

/**
 * The bytes of an object from `from` on (up to `to`, inclusive, when given), as a stream of
 * chunks. A response that breaks off mid-way (a reset connection, a socket that S3 closed while
 * the loader was busy writing) is resumed with a ranged GET from the first byte not yet
 * delivered, so a long load never starts its object again; it fails after `MAX_RESUMES` resumes
 * in a row that brought no byte. With an `eTag`, every GET is conditional on it: a replaced object
 * fails with `ObjectChangedError` instead of mixing versions.
 * Stopping the iteration early closes the response.
 */
export async function* readObjectBytes(
  s3: S3Client,
  object: S3ObjectRef,
  { from = 0, to }: { from?: number; to?: number } = {},
): AsyncGenerator<Buffer> {
  const last = Math.min(to ?? object.size - 1, object.size - 1);
  let offset = from;
  // Resumes since a byte last arrived: a long load pauses its read at every write, and S3 may
  // close a paused connection each time, so only reads that make no progress count against it.
  let resumes = 0;
  while (offset <= last) {
    let body: Readable;
    try {
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: object.bucket,
          Key: object.key,
          // A whole object is a plain GET; S3 answers a range past the end with 416.
          Range: offset === 0 && last === object.size - 1 ? undefined : `bytes=${offset}-${last}`,
          IfMatch: object.eTag === undefined ? undefined : `"${object.eTag.replace(/"/g, '')}"`,
        }),
      );
      body = response.Body as Readable;
    } catch (error) {
      if (status(error) === 412) throw new ObjectChangedError(object, error);
      throw error;
    }
    try {
      for await (const chunk of body) {
        const bytes = chunk as Buffer;
        offset += bytes.length;
        if (bytes.length > 0) resumes = 0;
        yield bytes;
      }
      if (offset <= last) throw new Error(`the response ended ${last + 1 - offset} bytes early`);
    } catch (error) {
      if (++resumes > MAX_RESUMES) throw new ObjectReadError(object, offset, resumes, error);
    } finally {
      body.destroy();
    }
  }
}

/**
 * Reads a gzip stream to its end without keeping anything, so that a truncated or corrupt object
 * is found before any of it is loaded. Returns the uncompressed size.
 *
 * @throws the decompressor's error (`unexpected end of file`, `incorrect header check`, ...).
 */
export async function verifyGzip(chunks: AsyncIterable<Buffer>): Promise<number> {
  let size = 0;
  await pipeline(chunks, createGunzip(), async (output: AsyncIterable<Buffer>) => {
    for await (const chunk of output) size += chunk.length;
  });
  return size;
}
