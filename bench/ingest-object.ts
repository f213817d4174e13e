import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import S3rver from 's3rver';
import { createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { s3Notification, sqsEvent, sqsRecord } from '../test/support/sqs-events';
import { ROOT } from './processes';

const HELP = `Usage: npx tsx bench/ingest-object.ts <file> [--store stub|dynamodb] [--range-bytes N]

Runs the ingest function, bundled as CDK bundles it, on one object the way Lambda would: the file
is put in a local S3 (s3rver) under incoming/, the function gets its S3 notification in an SQS
record, and each range message it sends (to a local stand-in for SQS) is handed to a new
invocation, one process each. Prints, per invocation, its wall time, its peak memory (max RSS)
and its report.

  --store stub       a store that holds nothing and answers at once: the function's own work
                     (read, gzip check, parse, plan), which is what Lambda bills (default)
  --store dynamodb   DynamoDB Local (DYNAMODB_ENDPOINT, or one started here), a new table
  --range-bytes N    split plain objects over N bytes (default 268435456, as deployed)`;

const BUCKET = 'ingest-bench';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };

/** Bundles an entry file with the options lib/ingest.ts gives NodejsFunction. */
async function bundle(entry: string, outdir: string): Promise<string> {
  const outfile = join(outdir, `${basename(entry, '.ts')}.js`);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
  return outfile;
}

/** A stand-in for SQS that keeps what SendMessageBatch sends (the AWS JSON protocol, checksums included). */
function startFakeSqs(sent: string[]): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString()) as {
        Entries?: { Id: string; MessageBody: string }[];
      };
      sent.push(...Entries.map((entry) => entry.MessageBody));
      const Successful = Entries.map((entry) => ({
        Id: entry.Id,
        MessageId: randomUUID(),
        MD5OfMessageBody: createHash('md5').update(entry.MessageBody).digest('hex'),
      }));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ Successful, Failed: [] }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}` });
    }),
  );
}

const INVOKE = `
const started = performance.now();
require(process.argv[1]).handler(JSON.parse(process.argv[2]), { awsRequestId: 'bench' }).then((response) => {
  const { maxRSS } = process.resourceUsage();
  console.log(JSON.stringify({ response, seconds: (performance.now() - started) / 1000, maxRssMb: Math.round(maxRSS / 1024) }));
});`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      store: { type: 'string', default: 'stub' },
      'range-bytes': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const [file] = positionals;
  if (values.help || file === undefined || !['stub', 'dynamodb'].includes(values.store ?? '')) {
    console.log(HELP);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const rangeBytes = values['range-bytes'] ?? String(256 * 2 ** 20);
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  const s3rver = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: join(dir, 's3'),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await s3rver.run();
  const s3Endpoint = `http://127.0.0.1:${port}`;
  const sent: string[] = [];
  const sqs = await startFakeSqs(sent);
  let dynamo: Awaited<ReturnType<typeof startDynamoDbLocal>> | undefined;
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...CREDENTIALS,
      S3_ENDPOINT: s3Endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      INGEST_QUEUE_URL: `${sqs.url}/123456789012/ingest`,
      INGEST_RANGE_BYTES: rangeBytes,
      INGEST_MAX_GZIP_BYTES: String(512 * 2 ** 20),
    };
    let entry = 'bench/ingest-stub-handler.ts';
    if (values.store === 'dynamodb') {
      let endpoint = process.env.DYNAMODB_ENDPOINT;
      if (endpoint === undefined) {
        dynamo = await startDynamoDbLocal({ port: 8000 + Math.floor(Math.random() * 1000) });
        endpoint = dynamo.endpoint;
      }
      const tableName = `ingest-bench-${randomUUID()}`;
      await createCounterStore({ client: createDynamoDbClient({ endpoint }), tableName }).ensureTable();
      Object.assign(env, { DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName });
      entry = 'lambda/ingest-handler.ts';
    }
    const handler = await bundle(entry, dir);
    const size = statSync(file).size;
    const key = `incoming/${basename(file)}`;
    const s3 = new S3Client({
      endpoint: s3Endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const { ETag = '' } = await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: createReadStream(file), ContentLength: size }),
    );
    console.log(
      `${key}: ${size} bytes in s3rver; store ${values.store}; ranges of at most ${rangeBytes} bytes`,
    );
    const queue = [s3Notification(BUCKET, key, size, ETag)];
    for (let i = 0; i < queue.length; i++) {
      const event = sqsEvent(sqsRecord(queue[i] as string, `message-${i + 1}`));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['-e', INVOKE, handler, JSON.stringify(event)],
        {
          env,
          maxBuffer: 64 * 2 ** 20,
        },
      );
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const result = lines.at(-1) as { response: unknown; seconds: number; maxRssMb: number };
      const report = lines.find((line) => line.reportKey !== undefined) ?? {};
      console.log(
        JSON.stringify({
          invocation: i + 1,
          seconds: Number(result.seconds.toFixed(1)),
          maxRssMb: result.maxRssMb,
          response: result.response,
          status: report.status,
          part: report.part,
          parts: report.parts,
          rows: report.rows,
          accepted: report.accepted,
          rejected: report.rejected,
          rowsPerSecond: report.rowsPerSecond,
          error: report.error,
        }),
      );
      queue.push(...sent.splice(0));
    }
    s3.destroy();
  } finally {
    sqs.server.close();
    await s3rver.close();
    await dynamo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
