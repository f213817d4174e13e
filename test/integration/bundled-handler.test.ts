import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { loadEvents } from '../../loader/load-events';
import { apiEvent } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { freePort } from '../support/free-port';

/*
 * The Lambda entry (lambda/api-handler.ts) bundled by esbuild as the stack bundles it, loaded in a
 * Node process of its own with the environment the function gets, and called with the events API
 * Gateway sends: a named stage, a custom domain's base path, a REST (payload 1.0) event, and a
 * DynamoDB that hangs or is not there.
 */

const RANGE = { starting_at: '2021-03-01T04:15:00Z', ending_before: '2021-03-01T05:45:00Z' };
const EVENT_COUNTS = '/v1/customers/c1/event_counts';

interface Invocation {
  response: APIGatewayProxyStructuredResultV2;
  latencyMs: number;
}

// Runs each event through the bundle's handler in turn; one line of JSON per answer, after a tab.
const RUNNER = `
const { handler } = require(process.argv[1]);
(async () => {
  for (const event of JSON.parse(process.argv[2])) {
    const started = performance.now();
    const context = { awsRequestId: 'lambda-' + Math.random().toString(16).slice(2), functionName: 'api',
      getRemainingTimeInMillis: () => 10000 };
    const response = await handler(event, context);
    process.stdout.write('\\tRESULT ' + JSON.stringify({ response, latencyMs: performance.now() - started }) + '\\n');
  }
})();`;

describe('the bundled Lambda handler', () => {
  let dir: string;
  let bundle: string;
  let table: TestTable;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'api-bundle-'));
    bundle = join(dir, 'index.js');
    await build({
      entryPoints: ['lambda/api-handler.ts'],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      outfile: bundle,
      logLevel: 'silent',
    });
    table = await createTestTable('bundled-handler');
    const csv = [
      'c1,INGEST,t1,2021-03-01 04:10:00+00',
      'c1,INGEST,t2,2021-03-01 04:20:00+00',
      'c1,INGEST,t3,2021-03-01 05:30:00+00',
      'c1,INGEST,t4,2021-03-01 05:50:00+00',
    ].join('\n');
    await loadEvents({ store: table.store, input: Readable.from([csv]), source: 'fixture.csv' });
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await table?.drop();
  });

  /** Every answer of the bundle's handler to `events`, with everything the process printed. */
  async function invoke(
    events: unknown[],
    env: Record<string, string>,
  ): Promise<{ results: Invocation[]; output: string }> {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        process.execPath,
        ['-e', RUNNER, bundle, JSON.stringify(events)],
        { env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ...env }, timeout: 60_000 },
        (error, out, err) => (error === null ? resolve({ stdout: out, stderr: err }) : reject(error)),
      );
    });
    const results = stdout
      .split('\n')
      .filter((line) => line.startsWith('\tRESULT '))
      .map((line) => JSON.parse(line.slice('\tRESULT '.length)) as Invocation);
    return { results, output: stdout + stderr };
  }

  const local = () => ({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint });

  describe('with DynamoDB Local', () => {
    let results: Invocation[];
    let output: string;
    const restEvent = {
      resource: '/{proxy+}',
      path: EVENT_COUNTS,
      httpMethod: 'GET',
      headers: {},
      queryStringParameters: RANGE,
      requestContext: { stage: 'prod', requestId: 'rest-1', httpMethod: 'GET' },
      isBase64Encoded: false,
    };
    const events: unknown[] = [
      apiEvent(`/prod${EVENT_COUNTS}`, RANGE, { stage: 'prod' }),
      apiEvent(`/counts${EVENT_COUNTS}`, RANGE),
      apiEvent('/prod', {}, { stage: 'prod' }),
      restEvent,
      // A week of hourly buckets: about 16 KB of JSON.
      apiEvent(
        EVENT_COUNTS,
        { starting_at: '2021-03-01', ending_before: '2021-03-08' },
        { headers: { 'accept-encoding': 'gzip' } },
      ),
      apiEvent(
        EVENT_COUNTS,
        { starting_at: '2021-03-01T04:00:00,5+05:00' },
        { rawQueryString: 'starting_at=2021-03-01T04:00:00&starting_at=5%2B05:00' },
      ),
    ];

    beforeAll(async () => {
      ({ results, output } = await invoke(events, { ...local(), BASE_PATH: 'counts' }));
    });

    const countsOf = (invocation: Invocation | undefined) =>
      JSON.parse(invocation?.response.body ?? '') as { total: number; buckets: { count: number }[] };

    it('answers a named stage event (/prod/v1/...)', () => {
      expect(results[0]?.response.statusCode).toBe(200);
      expect(countsOf(results[0])).toMatchObject({ total: 2, buckets: [{ count: 1 }, { count: 1 }] });
    });

    it('answers a custom domain event under the BASE_PATH it was given (/counts/v1/...)', () => {
      expect(results[1]?.response.statusCode).toBe(200);
      expect(countsOf(results[1]).total).toBe(2);
    });

    it('serves the usage page at the stage without a trailing slash', () => {
      expect(results[2]?.response.statusCode).toBe(200);
      expect(results[2]?.response.headers?.['content-type']).toMatch(/^text\/html/);
    });

    it('answers a REST (payload 1.0) event with a JSON 500 and a log line, not a crash', () => {
      expect(results[3]?.response.statusCode).toBe(500);
      expect(JSON.parse(results[3]?.response.body ?? '')).toMatchObject({
        error: { code: 'internal_error' },
      });
      expect(output).toContain('unsupported event');
      expect(output).toMatch(/payload format 1\.0/);
    });

    it('compresses for a caller that accepts gzip, with nosniff and vary', () => {
      const response = results[4]?.response;
      expect(response?.headers).toMatchObject({
        'content-encoding': 'gzip',
        vary: 'accept-encoding',
        'x-content-type-options': 'nosniff',
      });
      expect(response?.isBase64Encoded).toBe(true);
      const body = JSON.parse(gunzipSync(Buffer.from(response?.body ?? '', 'base64')).toString('utf8'));
      expect(body.total).toBe(4);
      expect(body.buckets).toHaveLength(7 * 24);
    });

    it('refuses a repeated parameter, naming it', () => {
      expect(results[5]?.response.statusCode).toBe(400);
      expect(JSON.parse(results[5]?.response.body ?? '')).toMatchObject({
        error: { code: 'invalid_parameter', parameter: 'starting_at' },
      });
    });
  });

  describe('when DynamoDB hangs or is not there', () => {
    it('answers a JSON 503 with retry-after and the request id within 5 s when DynamoDB never answers', async () => {
      // Accepts every connection and never answers: what a paused DynamoDB Local looks like.
      const sockets = new Set<Socket>();
      const hung = createServer((socket) => {
        sockets.add(socket);
      });
      await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
      const { port } = hung.address() as { port: number };
      try {
        const { results } = await invoke([apiEvent(EVENT_COUNTS, RANGE)], {
          TABLE_NAME: 'hung',
          DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
        });

        const [result] = results;
        expect(result?.response.statusCode).toBe(503);
        expect(result?.response.headers).toMatchObject({ 'retry-after': '1' });
        const body = JSON.parse(result?.response.body ?? '');
        expect(body).toMatchObject({
          error: { code: 'service_unavailable', request_id: expect.any(String) },
        });
        expect(result?.latencyMs).toBeLessThan(5_000);
        expect(result?.latencyMs).toBeGreaterThan(1_000);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => hung.close(resolve));
      }
    });

    it('answers a JSON 503 at once when nothing listens at the endpoint', async () => {
      const { results } = await invoke([apiEvent(EVENT_COUNTS, RANGE)], {
        TABLE_NAME: 'absent',
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      });

      expect(results[0]?.response.statusCode).toBe(503);
      expect(results[0]?.latencyMs).toBeLessThan(2_000);
    });
  });
});
