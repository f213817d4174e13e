import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import S3rver from 's3rver';
import { createIngestHandler } from '../../lambda/create-ingest-handler';
import type { IngestReport } from '../../lambda/ingest-reports';
import { Ingest } from '../../lib/ingest';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { s3Notification, sqsEvent, sqsRecord } from '../support/sqs-events';

/*
 * Issue 11: the ingest function, fed standard SQS records that wrap S3 event notifications, reads
 * objects from a local S3 (s3rver) and counts their events in DynamoDB Local. After each step the
 * table's counters must equal a recount of every object delivered so far, made here without any
 * product code.
 */

const BUCKET = 'ingest-it';
const HOUR = 3_600_000;
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Rows `customer,INGEST,<prefix>-<hour>-<i>,<time>` for `perHour` events in each of `hours` of 2021-03-01. */
function rows(customer: string, hours: number[], perHour: number, prefix: string): string[] {
  return hours.flatMap((hour) =>
    Array.from({ length: perHour }, (_, i) => {
      const time = new Date(Date.UTC(2021, 2, 1, hour, i % 60, (i * 7) % 60, i * 10));
      const stamp = time.toISOString().replace('T', ' ').replace('Z', '+00');
      return `${customer},INGEST,${prefix}-${hour}-${i},${stamp}`;
    }),
  );
}

/**
 * The test's own recount: the counters every object delivered so far should produce. An event is
 * its (customer, UTC hour, transaction_id), the first row wins; header, blank and malformed lines
 * count nothing. It reads only the fixture format (`2021-03-01 04:05:06.07+00`).
 */
function recountCounters(objects: readonly Buffer[]): Record<string, Record<string, number>> {
  const seen = new Set<string>();
  const counters: Record<string, Record<string, number>> = {};
  for (const object of objects) {
    const text = (object[0] === 0x1f ? gunzipSync(object) : object).toString('latin1');
    for (const line of text.split('\n')) {
      const fields = line.replace(/\r$/, '').split(',');
      const [customer, type, id, stamp] = fields;
      const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)\+00$/.exec(stamp ?? '');
      if (fields.length !== 4 || match === null || !customer || !type || !id || customer === 'customer_id')
        continue;
      const time = Date.parse(`${match[1]}T${match[2]}Z`);
      const hour = new Date(time - (time % HOUR)).toISOString().slice(0, 13);
      const key = `${customer}\n${hour}\n${id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const byHour = counters[customer] ?? {};
      byHour[hour] = (byHour[hour] ?? 0) + 1;
      counters[customer] = byHour;
    }
  }
  return counters;
}

/** A client of the local S3: s3rver does not read the aws-chunked checksum trailers the SDK sends by default. */
function localS3(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

describe('the ingest function on s3rver and DynamoDB Local', () => {
  const customers = ['acme', 'globex', 'initech', 'umbrella', 'corrupt-co', 'utf16-co'];
  const sqs = mockClient(SQSClient);
  const logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const logger = {
    info: (message: string, fields: Record<string, unknown>) => logs.push({ level: 'info', message, fields }),
    warn: (message: string, fields: Record<string, unknown>) => logs.push({ level: 'warn', message, fields }),
    error: (message: string, fields: Record<string, unknown>) =>
      logs.push({ level: 'error', message, fields }),
  };
  /** Range messages the function sent, as SendMessageBatch received them. */
  const sent: string[] = [];
  const delivered: Buffer[] = [];
  let server: S3rver;
  let endpoint: string;
  let s3: S3Client;
  let table: TestTable;
  let dir: string;
  let handler: ReturnType<typeof createIngestHandler>;
  /** Every S3 request the function made, as `<operation> <key>`. */
  const s3Requests: string[] = [];
  let messages = 0;

  const put = async (key: string, body: Buffer) => {
    const { ETag } = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    return s3Notification(BUCKET, key, body.length, ETag ?? '');
  };
  const deliver = async (
    body: string,
    receiveCount = 1,
  ): Promise<{ id: string; response: SQSBatchResponse }> => {
    const id = `message-${++messages}`;
    const response = await handler(sqsEvent(sqsRecord(body, id, receiveCount)), {
      awsRequestId: `request-${id}`,
    });
    return { id, response };
  };
  const reportOf = (id: string) => {
    const entry = logs.find((log) => log.fields.messageId === id && log.fields.reportKey !== undefined);
    return entry?.fields as unknown as IngestReport;
  };
  const readText = async (key: string) => {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return (await Body?.transformToString()) ?? '';
  };
  const storedCounters = async () => {
    const counters: Record<string, Record<string, number>> = {};
    for (const customer of customers) {
      const stored = await table.store.queryHourCounts(customer, Date.UTC(2021, 1, 28), Date.UTC(2021, 2, 2));
      if (stored.size === 0) continue;
      counters[customer] = Object.fromEntries(
        [...stored]
          .sort(([a], [b]) => a - b)
          .map(([hour, count]) => [new Date(hour).toISOString().slice(0, 13), count]),
      );
    }
    return counters;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ingest-it-'));
    server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: join(dir, 's3'),
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    s3 = localS3(endpoint);
    table = await createTestTable('ingest');
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
      sent.push(...input.Entries.map((entry) => entry.MessageBody));
      return {
        Successful: input.Entries.map((entry) => ({
          Id: entry.Id,
          MessageId: entry.Id,
          MD5OfMessageBody: '',
        })),
        Failed: [],
      };
    });
    const functionS3 = localS3(endpoint);
    functionS3.middlewareStack.add(
      (next, context) => (args) => {
        const key = (args.input as { Key?: string }).Key;
        s3Requests.push(`${String(context.commandName).replace(/Command$/, '')} ${key}`);
        return next(args);
      },
      { step: 'initialize', name: 'recordRequests' },
    );
    handler = createIngestHandler({
      store: table.store,
      s3: functionS3,
      fanOut: {
        sqs: new SQSClient({ region: 'us-east-1', credentials: S3RVER_CREDENTIALS }),
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/ingest',
      },
      logger,
      tmpDir: dir,
      // Small enough that the test's "large" object is split into a few ranges, and that a load
      // writes several times per object (so a corrupt gzip would have written before failing).
      rangeBytes: 4096,
      maxGzipBytes: 1 << 20,
      bufferEvents: 100,
    });
  });

  afterAll(async () => {
    sqs.restore();
    s3?.destroy();
    await table?.drop();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts a gzip object whose key has spaces, and writes its report and rejects under reports/', async () => {
    const csv = [
      'customer_id,event_type,transaction_id,timestamp',
      ...rows('acme', [0, 1, 2, 3], 8, 'a'),
      ...rows('globex', [1, 2], 5, 'g'),
      'acme,INGEST,a-0-1,2021-03-01 00:01:07.01+00', // the same event again: a duplicate
      'acme,INGEST,a-0-2,2021-03-01 00:30:00+00', // the same id with another time: a conflict
      'globex,INGEST,2021-03-01 01:00:00+00', // three fields: rejected
    ].join('\n');
    const object = gzipSync(csv);
    delivered.push(object);
    const { id, response } = await deliver(await put('incoming/day one 2021.csv.gz', object));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await storedCounters()).toEqual(recountCounters(delivered));
    const report = reportOf(id);
    expect(report).toMatchObject({
      status: 'loaded',
      key: 'incoming/day one 2021.csv.gz',
      rows: 46,
      headers: 1,
      accepted: 42,
      duplicates: 2,
      conflicts: 1,
      rejected: 1,
      rowInvariant: 'rows 46 = accepted 42 + duplicates 2 (1 conflicting) + rejected 1 + header 1',
      receiveCount: 1,
    });
    expect(report.reportKey).toMatch(/^reports\/incoming\/day one 2021\.csv\.gz\/2\d{3}-.*-message-\.json$/);
    expect(JSON.parse(await readText(report.reportKey))).toEqual(report);
    const rejects = await readText(report.rejectsKey ?? '');
    expect(rejects.split('\n')[0]).toBe('line,reason,raw');
    expect(rejects).toContain('\n45,"conflict: transaction_id ""a-0-2"" came earlier');
    expect(rejects).toContain('\n46,"expected 4 fields');
  });

  it('counts only the new events of an overlapping plain object (CRLF, a + in its key)', async () => {
    const csv = `${[...rows('acme', [2, 3, 4], 8, 'a'), ...rows('initech', [4, 5], 6, 'i')].join('\r\n')}\r\n`;
    const object = Buffer.from(csv);
    delivered.push(object);
    const { id, response } = await deliver(await put('incoming/day+two (overlap).csv', object));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(reportOf(id)).toMatchObject({
      status: 'loaded',
      key: 'incoming/day+two (overlap).csv',
      rows: 36,
      accepted: 20,
      duplicates: 16,
      alreadyCounted: 16,
      rejectsKey: null,
    });
    expect(await storedCounters()).toEqual(recountCounters(delivered));
  });

  it('counts nothing twice when S3 delivers the same notification again', async () => {
    const before = await storedCounters();
    const body = await put('incoming/again.csv', Buffer.from(rows('acme', [5], 4, 'again').join('\n')));
    delivered.push(Buffer.from(rows('acme', [5], 4, 'again').join('\n')));
    const first = await deliver(body);
    const second = await deliver(body, 2);

    expect([first.response, second.response]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(reportOf(first.id)).toMatchObject({ rows: 4, accepted: 4 });
    expect(reportOf(second.id)).toMatchObject({ rows: 4, accepted: 0, alreadyCounted: 4, receiveCount: 2 });
    expect(await storedCounters()).toEqual({ ...before, acme: { ...before.acme, '2021-03-01T05': 4 } });
    expect(await storedCounters()).toEqual(recountCounters(delivered));
  });

  it('fails a truncated gzip object on every receive, writing nothing and reporting why', async () => {
    const whole = gzipSync(rows('corrupt-co', [0, 1, 2, 3, 4, 5], 50, 'c').join('\n'));
    const body = await put('incoming/corrupt.csv.gz', whole.subarray(0, Math.floor(whole.length * 0.8)));

    for (const receiveCount of [1, 2, 3]) {
      const { id, response } = await deliver(body, receiveCount);
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: id }] });
      const report = reportOf(id);
      expect(report).toMatchObject({ status: 'failed', receiveCount });
      expect(report.error).toMatch(/is not valid gzip \(unexpected end of file\); nothing was written$/);
      expect(JSON.parse(await readText(report.reportKey))).toMatchObject({ status: 'failed' });
    }
    expect((await storedCounters())['corrupt-co']).toBeUndefined();
  });

  it('fails an object with no acceptable row (UTF-16), listing its lines in the rejects file', async () => {
    // Three lines, and the NUL after the last line end, which makes a fourth.
    const text = `\ufeff${rows('utf16-co', [0], 3, 'u').join('\n')}\n`;
    const { id, response } = await deliver(await put('incoming/utf16.csv', Buffer.from(text, 'utf16le')));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: id }] });
    const report = reportOf(id);
    expect(report).toMatchObject({ status: 'failed', rows: 4, rejected: 4, accepted: 0 });
    expect(report.error).toContain('looks like UTF-16');
    expect((await readText(report.rejectsKey ?? '')).split('\n')).toHaveLength(6);
    expect((await storedCounters())['utf16-co']).toBeUndefined();
  });

  it('splits a large plain object into ranges whose messages, replayed in any order and twice, count it once', async () => {
    const lines = [...rows('umbrella', [0, 1, 2, 3, 4, 5], 40, 'u'), ...rows('acme', [3, 4], 8, 'a')];
    const object = Buffer.from(`${lines.join('\n')}\n`);
    delivered.push(object);
    sent.length = 0;
    const { id, response } = await deliver(await put('incoming/big one.csv', object));

    expect(response).toEqual({ batchItemFailures: [] });
    const parts = Math.ceil(object.length / 4096);
    expect(reportOf(id)).toMatchObject({ status: 'split', parts });
    expect(sent).toHaveLength(parts);
    expect((await storedCounters()).umbrella).toBeUndefined();

    const replayed = [...sent].reverse();
    const results = [];
    for (const body of [...replayed, replayed[0] as string]) results.push(await deliver(body));
    expect(results.map((result) => result.response)).toEqual(results.map(() => ({ batchItemFailures: [] })));
    const reports = results.map((result) => reportOf(result.id));
    expect(reports.slice(0, parts).reduce((sum, report) => sum + (report.rows ?? 0), 0)).toBe(lines.length);
    expect(reports.slice(0, parts).reduce((sum, report) => sum + (report.accepted ?? 0), 0)).toBe(240);
    expect(reports.at(-1)).toMatchObject({ accepted: 0, part: parts, parts });
    expect(reports[0]?.reportKey).toMatch(new RegExp(`\\.part-${String(parts).padStart(4, '0')}-of-`));
    expect(await storedCounters()).toEqual(recountCounters(delivered));
  });

  it('reads only objects it was told of and writes only under reports/ (what its role allows)', async () => {
    expect(s3Requests.length).toBeGreaterThan(20);
    const outside = s3Requests.filter(
      (request) => !/^GetObject incoming\//.test(request) && !/^PutObject reports\//.test(request),
    );
    expect(outside).toEqual([]);
    const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    expect(Contents.filter(({ Key = '' }) => !/^(incoming|reports)\//.test(Key))).toEqual([]);
  });

  describe('bundled by CDK, run as Lambda runs it', () => {
    let bundle: string;
    let outdir: string;

    beforeAll(() => {
      const app = new App();
      const stack = new Stack(app, 'IngestBundle');
      new Ingest(stack, 'Ingest', {
        table: new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } }),
        alarmTopic: new Topic(stack, 'Topic'),
      });
      const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function', {
        Properties: { Handler: 'index.handler', Runtime: 'nodejs24.x' },
      });
      const [fn] = Object.values(functions) as { Properties: { Code: { S3Key: string } } }[];
      outdir = app.outdir;
      bundle = join(outdir, `asset.${fn?.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
    }, 120_000);

    afterAll(() => rmSync(outdir, { recursive: true, force: true }));

    it('reads TABLE_NAME, DYNAMODB_ENDPOINT and S3_ENDPOINT, counts the object and logs its report', async () => {
      const object = Buffer.from(`${rows('globex', [5], 7, 'bundle').join('\n')}\n`);
      delivered.push(object);
      const event = sqsEvent(sqsRecord(await put('incoming/from the bundle.csv', object), 'bundle-message'));
      const script =
        "require(process.argv[1]).handler(JSON.parse(process.argv[2]), { awsRequestId: 'bundle-request' })" +
        '.then((response) => console.log(JSON.stringify(response)))';
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--enable-source-maps', '-e', script, bundle, JSON.stringify(event)],
        {
          env: {
            PATH: process.env.PATH,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            TABLE_NAME: table.tableName,
            DYNAMODB_ENDPOINT: table.endpoint,
            S3_ENDPOINT: endpoint,
            AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
            AWS_REGION: 'us-east-1',
          },
        },
      );
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.at(-1)).toEqual({ batchItemFailures: [] });
      expect(lines[0]).toMatchObject({
        level: 'INFO',
        message: 'object ingested',
        service: 'event-counts-ingest',
        status: 'loaded',
        key: 'incoming/from the bundle.csv',
        rows: 7,
        accepted: 7,
        requestId: 'bundle-request',
      });
      expect(await storedCounters()).toEqual(recountCounters(delivered));
    });
  });
});
