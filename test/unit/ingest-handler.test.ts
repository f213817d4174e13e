import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GetObjectCommand, type GetObjectCommandInput, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createIngestHandler, type IngestHandlerOptions } from '../../lambda/create-ingest-handler';
import { readIngestMessage } from '../../lambda/ingest-messages';
import type { WriteStore } from '../../loader/write-events';
import { s3Notification, sqsEvent, sqsRecord } from '../support/sqs-events';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);

const CSV = Buffer.from('c1,INGEST,t1,2021-03-01 00:00:00+00\nc1,INGEST,t2,2021-03-01 00:10:00+00\n');

/** A response body, optionally failing after `failAfter` bytes as a reset connection would. */
function body(bytes: Buffer, failAfter?: number) {
  if (failAfter === undefined) return Readable.from([bytes]) as never;
  return Readable.from(
    (async function* () {
      yield bytes.subarray(0, failAfter);
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    })(),
  ) as never;
}

/** Answers ranged and whole GETs from `bytes`, as S3 would. */
function serve(bytes: Buffer) {
  return (input: GetObjectCommandInput) => {
    const [, from = '0', to = String(bytes.length - 1)] = /bytes=(\d+)-(\d*)/.exec(input.Range ?? '') ?? [];
    return { Body: body(bytes.subarray(Number(from), Number(to || bytes.length - 1) + 1)) };
  };
}

describe('createIngestHandler', () => {
  let dir: string;
  let logs: { level: string; message: string; fields: Record<string, unknown> }[];
  let committed: number;
  let checkFormat: jest.Mock;

  const options = (overrides: Partial<IngestHandlerOptions> = {}): IngestHandlerOptions => {
    const store: WriteStore = {
      tableName: 'stub',
      readHourState: async () => ({ version: 0, fragments: [] }),
      commit: async () => {
        committed++;
        return 'committed';
      },
      widenCustomerSpan: async () => {},
    };
    const record = (level: string) => (message: string, fields: Record<string, unknown>) =>
      logs.push({ level, message, fields });
    return {
      store: { ...store, checkFormat },
      s3: new S3Client({ region: 'us-east-1' }),
      fanOut: { sqs: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://sqs.local/queue' },
      logger: { info: record('info'), warn: record('warn'), error: record('error') },
      tmpDir: dir,
      rangeBytes: 1000,
      maxGzipBytes: 5000,
      now: () => new Date('2021-03-04T00:00:00Z'),
      ...overrides,
    };
  };
  const run = (handlerOptions: IngestHandlerOptions, ...bodies: string[]) =>
    createIngestHandler(handlerOptions)(
      sqsEvent(...bodies.map((messageBody, i) => sqsRecord(messageBody, `m${i + 1}`))),
      { awsRequestId: 'request' },
    );
  const reportsPut = () =>
    s3.commandCalls(PutObjectCommand).map((call) => JSON.parse(String(call.args[0].input.Body)));

  beforeEach(() => {
    s3.reset();
    sqs.reset();
    s3.on(PutObjectCommand).resolves({});
    dir = mkdtempSync(join(tmpdir(), 'ingest-unit-'));
    logs = [];
    committed = 0;
    checkFormat = jest.fn(async () => {});
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  afterAll(() => {
    s3.restore();
    sqs.restore();
  });

  it('loads an object, reports it, and leaves no rejects file behind in /tmp', async () => {
    s3.on(GetObjectCommand).callsFake(serve(CSV));
    const response = await run(options(), s3Notification('b', 'incoming/a.csv', CSV.length, 'tag'));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(reportsPut()).toEqual([expect.objectContaining({ status: 'loaded', rows: 2, accepted: 2 })]);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({
      IfMatch: '"tag"',
      Range: undefined,
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('resumes a read that broke off from the first byte not yet delivered', async () => {
    s3.on(GetObjectCommand)
      .resolvesOnce({ Body: body(CSV, 20) })
      .callsFake(serve(CSV));
    const response = await run(options(), s3Notification('b', 'incoming/a.csv', CSV.length, 'tag'));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Range)).toEqual([
      undefined,
      `bytes=20-${CSV.length - 1}`,
    ]);
    expect(reportsPut()[0]).toMatchObject({ rows: 2, accepted: 2, rejected: 0 });
  });

  it('resumes as often as a read breaks off while it makes progress, and gives up when it does not', async () => {
    s3.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
      const from = Number(/bytes=(\d+)-/.exec(input.Range ?? '')?.[1] ?? 0);
      return { Body: body(CSV.subarray(from), 10) };
    });
    const response = await run(options(), s3Notification('b', 'incoming/a.csv', CSV.length, 'tag'));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(Math.ceil(CSV.length / 10));
    expect(reportsPut()[0]).toMatchObject({ rows: 2, accepted: 2 });

    s3.reset();
    s3.on(PutObjectCommand).resolves({});
    s3.on(GetObjectCommand).callsFake(() => ({ Body: body(Buffer.alloc(0), 0) }));
    const stuck = await run(options(), s3Notification('b', 'incoming/a.csv', CSV.length, 'tag'));
    expect(stuck).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(6);
    expect(reportsPut()[0]?.error).toBe(
      'cannot read s3://b/incoming/a.csv: reading s3://b/incoming/a.csv broke off at byte 0, 6 times in a row ' +
        '(read ECONNRESET); nothing was written',
    );
  });

  it('skips an object replaced since its notification: the new one has its own', async () => {
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
        name: 'PreconditionFailed',
        $metadata: { httpStatusCode: 412 },
      }),
    );
    const response = await run(options(), s3Notification('b', 'incoming/a.csv', CSV.length, 'old'));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'object skipped',
        fields: expect.objectContaining({ status: 'skipped' }),
      }),
    ]);
    expect(committed).toBe(0);
  });

  it('splits a large plain object into range messages, 10 to a batch, that cover it', async () => {
    const size = 22_500;
    s3.on(GetObjectCommand).callsFake(serve(Buffer.alloc(size, 'c')));
    sqs.on(SendMessageBatchCommand).callsFake((input) => ({
      Successful: input.Entries.map((entry: { Id: string }) => ({ Id: entry.Id })),
    }));
    const response = await run(options(), s3Notification('b', 'incoming/big.csv', size, 'tag'));
    expect(response).toEqual({ batchItemFailures: [] });
    const batches = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []);
    expect(batches.map((entries) => entries.length)).toEqual([10, 10, 3]);
    const tasks = batches.flat().flatMap((entry) => readIngestMessage(entry.MessageBody ?? ''));
    expect(tasks.map((task) => (task.kind === 'range' ? [task.range.start, task.range.end] : []))).toEqual(
      Array.from({ length: 23 }, (_, i) => [Math.min(i * 979, size), Math.min((i + 1) * 979, size)]),
    );
    expect(reportsPut()).toEqual([expect.objectContaining({ status: 'split', parts: 23 })]);
    expect(checkFormat).not.toHaveBeenCalled();
  });

  it('fails a split whose range messages SQS refused, so that all are sent again', async () => {
    s3.on(GetObjectCommand).callsFake(serve(Buffer.alloc(1500, 'c')));
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: 'part-1', MessageId: 'x', MD5OfMessageBody: '' }],
      Failed: [{ Id: 'part-2', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
    });
    const response = await run(options(), s3Notification('b', 'incoming/big.csv', 1500, 'tag'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(reportsPut()[0]).toMatchObject({
      status: 'failed',
      error: 'could not queue 1 of 2 range messages (part-2: InternalError try again)',
    });
  });

  it('fails a large object it cannot split for want of a queue', async () => {
    s3.on(GetObjectCommand).callsFake(serve(Buffer.alloc(1500, 'c')));
    const response = await run(
      options({ fanOut: undefined }),
      s3Notification('b', 'incoming/big.csv', 1500, 't'),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(reportsPut()[0]?.error).toContain(
      'no queue is configured to split it into ranges (INGEST_QUEUE_URL)',
    );
  });

  it('fails a gzip object over the gzip limit at once, before reading it', async () => {
    s3.on(GetObjectCommand).callsFake(serve(Buffer.concat([gzipSync(CSV), Buffer.alloc(6000)])));
    const response = await run(options(), s3Notification('b', 'incoming/huge.csv.gz', 6000, 't'));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Range)).toEqual(['bytes=0-1']);
    expect(reportsPut()[0]?.error).toBe(
      's3://b/incoming/huge.csv.gz is gzip of 6000 bytes, over the 5000 bytes one invocation can read and load ' +
        'in time, and gzip cannot be split into ranges; upload it uncompressed (large plain objects are split) ' +
        'or as several smaller gzip objects',
    );
  });

  it('loads a gzip object over the range size whole, after checking it decompresses', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `c1,INGEST,t${i},2021-03-01 00:00:00+00`).join('\n');
    const gzip = gzipSync(rows, { level: 0 });
    s3.on(GetObjectCommand).callsFake(serve(gzip));
    const response = await run(
      options({ maxGzipBytes: 100_000 }),
      s3Notification('b', 'incoming/g.csv.gz', gzip.length, 't'),
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(gzip.length).toBeGreaterThan(1000);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Range)).toEqual([
      'bytes=0-1',
      undefined,
      undefined,
    ]);
    expect(reportsPut()[0]).toMatchObject({ status: 'loaded', rows: 200, accepted: 200 });
  });

  it('skips folder markers, ignores S3 test events, and fails messages it cannot read', async () => {
    const response = await run(
      options(),
      s3Notification('b', 'incoming/2021/', 0, 'd41d8cd98f00b204e9800998ecf8427e'),
      JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
      '{"Records": "nope"}',
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm3' }] });
    expect(s3.commandCalls(GetObjectCommand)).toEqual([]);
    expect(logs.map((log) => [log.level, log.message])).toEqual([
      ['info', 'object skipped'],
      ['info', 'message ignored: it creates no object'],
      ['error', 'ingest failed'],
    ]);
  });

  it('checks the table format once per container, and again after a failed check', async () => {
    s3.on(GetObjectCommand).callsFake(serve(CSV));
    checkFormat.mockRejectedValueOnce(new Error('table t has layout 1'));
    const handlerOptions = options();
    const handler = createIngestHandler(handlerOptions);
    const message = s3Notification('b', 'incoming/a.csv', CSV.length, 'tag');
    const first = await handler(sqsEvent(sqsRecord(message, 'm1')), { awsRequestId: 'r1' });
    const second = await handler(sqsEvent(sqsRecord(message, 'm2'), sqsRecord(message, 'm3')), {
      awsRequestId: 'r2',
    });
    expect([first, second]).toEqual([
      { batchItemFailures: [{ itemIdentifier: 'm1' }] },
      { batchItemFailures: [] },
    ]);
    expect(checkFormat).toHaveBeenCalledTimes(2);
    expect(reportsPut()[0]).toMatchObject({ status: 'failed', error: 'table t has layout 1' });
  });
});
