import type { ByteRange } from '../loader/byte-ranges';
import type { S3ObjectRef } from '../loader/s3-object';

/*
 * What arrives on the ingest queue, read from `unknown`: S3 event notifications (one or more
 * `ObjectCreated` records), S3's test event, and the range messages the function sends itself
 * when it splits a large object. Pure: no I/O.
 */

/** One unit of work: a whole object, or one byte range of a large plain object. */
export type IngestTask =
  | { kind: 'object'; object: S3ObjectRef }
  | { kind: 'range'; object: S3ObjectRef; range: ByteRange; part: number; parts: number };

/** A message that is neither an S3 notification nor a range message, or is malformed. */
export class InvalidIngestMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidIngestMessageError';
  }
}

/** Marks the range messages this function sends, and their version. */
export const RANGE_MESSAGE_TYPE = 'event-counts/ingest-range@1';

/**
 * An object key as S3 notifications carry it, URL-encoded with `+` for a space, decoded:
 * `incoming/march+2021%2B.csv` is `incoming/march 2021+.csv`.
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new InvalidIngestMessageError(`s3.object.key ${JSON.stringify(encoded)} is not URL-encoded`);
  }
}

type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function field<T>(from: Fields, path: string, check: (value: unknown) => value is T, expected: string): T {
  let value: unknown = from;
  for (const name of path.split('.')) value = isObject(value) ? value[name] : undefined;
  if (!check(value)) {
    throw new InvalidIngestMessageError(
      `${path} must be ${expected}; received ${value === undefined ? 'nothing' : JSON.stringify(value)}`,
    );
  }
  return value;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isOptionalText = (value: unknown): value is string | undefined => value === undefined || isText(value);

/** The object of one S3 event record, or undefined for a record that does not create an object. */
function objectOfRecord(record: unknown, index: number): S3ObjectRef | undefined {
  if (!isObject(record)) throw new InvalidIngestMessageError(`Records[${index}] must be an object`);
  const source = field(record, 'eventSource', isText, 'a string');
  const name = field(record, 'eventName', isText, 'a string');
  if (source !== 'aws:s3') {
    throw new InvalidIngestMessageError(`Records[${index}].eventSource must be aws:s3; received ${source}`);
  }
  if (!name.startsWith('ObjectCreated:')) return undefined;
  return {
    bucket: field(record, 's3.bucket.name', isText, 'a bucket name'),
    key: decodeS3Key(field(record, 's3.object.key', isText, 'an object key')),
    size: field(record, 's3.object.size', isCount, 'a size in bytes'),
    eTag: field(record, 's3.object.eTag', isOptionalText, 'an entity tag'),
  };
}

function rangeTask(message: Fields): IngestTask {
  const object: S3ObjectRef = {
    bucket: field(message, 'bucket', isText, 'a bucket name'),
    key: field(message, 'key', isText, 'an object key'),
    size: field(message, 'size', isCount, 'a size in bytes'),
    eTag: field(message, 'eTag', isOptionalText, 'an entity tag'),
  };
  const range = {
    start: field(message, 'start', isCount, 'a byte offset'),
    end: field(message, 'end', isCount, 'a byte offset'),
  };
  const part = field(message, 'part', isCount, 'a part number');
  const parts = field(message, 'parts', isCount, 'a number of parts');
  if (range.start >= range.end || range.end > object.size || part < 1 || part > parts) {
    throw new InvalidIngestMessageError(
      `range message for s3://${object.bucket}/${object.key} names bytes [${range.start}, ${range.end}) ` +
        `of ${object.size} as part ${part} of ${parts}: expected start < end <= size and 1 <= part <= parts`,
    );
  }
  return { kind: 'range', object, range, part, parts };
}

/**
 * The tasks of one queue message: an S3 event notification gives one task per `ObjectCreated`
 * record (other records and S3's `s3:TestEvent` give none), a range message gives its range.
 *
 * @throws InvalidIngestMessageError naming the field that is missing or malformed.
 */
export function readIngestMessage(body: string): IngestTask[] {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    throw new InvalidIngestMessageError(
      `the message body is not JSON: ${JSON.stringify(body.slice(0, 200))}`,
    );
  }
  if (!isObject(message)) throw new InvalidIngestMessageError('the message body must be a JSON object');
  if (message.type === RANGE_MESSAGE_TYPE) return [rangeTask(message)];
  if (message.Event === 's3:TestEvent') return [];
  if (!Array.isArray(message.Records)) {
    throw new InvalidIngestMessageError(
      `expected an S3 event notification (Records) or a range message (type ${RANGE_MESSAGE_TYPE}); ` +
        `received a message with fields ${Object.keys(message).join(', ') || 'none'}`,
    );
  }
  return message.Records.flatMap((record, index) => {
    const object = objectOfRecord(record, index);
    return object === undefined ? [] : [{ kind: 'object' as const, object }];
  });
}

/** The messages that hand each range of a split object to its own invocation. */
export function rangeMessages(object: S3ObjectRef, ranges: readonly ByteRange[]): string[] {
  return ranges.map((range, i) =>
    JSON.stringify({
      type: RANGE_MESSAGE_TYPE,
      bucket: object.bucket,
      key: object.key,
      size: object.size,
      eTag: object.eTag,
      start: range.start,
      end: range.end,
      part: i + 1,
      parts: ranges.length,
    }),
  );
}
