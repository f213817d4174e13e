import { Agent, get } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createHandler, type HandlerOptions } from '../lambda/create-handler';
import type { ApiReader } from '../lambda/routes';
import { localLambdaContext } from '../local/lambda-context';
import {
  type Answer,
  type DatasetSpan,
  eventCountsPath,
  findDifference,
  parseAnswer,
  planRequests,
  QUERY_SHAPES,
  type QueryRequest,
  queryString,
  type ShapeId,
} from './query-shapes';
import { type LatencySummary, timeSeries } from './stats';

/**
 * Who answers: our handler in-process or behind the local HTTP server, or a DuckDB baseline (in
 * memory in file order, in memory sorted by customer and time, or scanning the CSV).
 */
export type EngineId = 'ours-handler' | 'ours-http' | 'duckdb-memory' | 'duckdb-memory-sorted' | 'duckdb-csv';

export const ENGINE_LABELS: Record<EngineId, string> = {
  'ours-handler': 'ours: handler in-process',
  'ours-http': 'ours: local HTTP server',
  'duckdb-memory': 'DuckDB, events in memory',
  'duckdb-memory-sorted': 'DuckDB, in memory, sorted',
  'duckdb-csv': 'DuckDB, scanning the CSV',
};

/** Something that answers a request with the API's JSON body. */
export interface Engine {
  id: EngineId;
  answer: (request: QueryRequest) => Promise<string>;
  /** Limits for slow engines: fewer distinct requests and timed requests, some shapes only. */
  limits?: { variants: number; requests: number; warmup: number; shapes: readonly ShapeId[] };
}

/** The p50/p95/p99 of one engine answering one shape on one data set. */
export interface LatencyResult extends LatencySummary {
  dataset: string;
  storedEvents: number;
  shape: ShapeId;
  engine: EngineId;
  /** Distinct requests cycled through (each cross-checked before timing). */
  variants: number;
}

/** Every engine gave the reference answer for every distinct request of a shape. */
export interface CrossCheckResult {
  dataset: string;
  shape: ShapeId;
  variants: number;
  engines: EngineId[];
  identical: boolean;
}

/** The API Gateway payload-2.0 event of a request, as the local server or API Gateway builds it. */
export function apiGatewayEvent(request: QueryRequest, requestId: string): APIGatewayProxyEventV2 {
  const path = eventCountsPath(request);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: queryString(request),
    headers: {},
    queryStringParameters: {
      starting_at: new Date(request.start).toISOString(),
      ending_before: new Date(request.end).toISOString(),
    },
    isBase64Encoded: false,
    requestContext: {
      accountId: 'bench',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date(0).toUTCString(),
      timeEpoch: 0,
    },
  };
}

/**
 * What the bench sets of `createHandler` besides the store. `edgeCacheBytes` is the size of the
 * edge-hour cache the Lambda container keeps (0 turns it off, so every request reads its edge hours).
 */
export type BenchHandlerOptions = Omit<HandlerOptions, 'store' | 'logger'>;

/**
 * The handlers of the bench, in one place. The hot-hour series and the read units per query
 * measure what one request reads, so the edge cache is off there; the latency series run the
 * handler as deployed.
 */
export const HANDLER_OPTIONS = {
  edgeCacheOff: { edgeCacheBytes: 0 },
  asDeployed: {},
} as const satisfies Record<string, BenchHandlerOptions>;

/** The Lambda's handler over a store, called in-process like the Lambda runtime would, without its log lines. */
export function handlerEngine(
  store: ApiReader,
  options: BenchHandlerOptions = HANDLER_OPTIONS.asDeployed,
): Engine {
  const handler = createHandler({ ...options, store, logger: () => {} });
  let sequence = 0;
  return {
    id: 'ours-handler',
    async answer(request) {
      const requestId = `bench-${++sequence}`;
      const response = await handler(apiGatewayEvent(request, requestId), localLambdaContext(requestId));
      if (response.statusCode !== 200)
        throw new Error(`handler answered ${response.statusCode}: ${response.body}`);
      return response.body ?? '';
    },
  };
}

/** GET requests to the local HTTP server over one kept-alive connection. */
export function httpEngine(port: number): Engine & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    id: 'ours-http',
    answer: (request) =>
      new Promise((resolve, reject) => {
        const path = `${eventCountsPath(request)}?${queryString(request)}`;
        get({ host: '127.0.0.1', port, path, agent }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode === 200) resolve(body);
            else reject(new Error(`GET ${path} answered ${response.statusCode}: ${body}`));
          });
        }).on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}

/** Settings of the query section. */
export interface QueryBenchOptions {
  dataset: string;
  storedEvents: number;
  span: DatasetSpan;
  /** The first engine is the reference every other one is checked against. */
  engines: Engine[];
  variants: number;
  requests: number;
  warmup: number;
  /** Seconds of mixed requests through our handler first, so DynamoDB Local's JIT has settled. */
  jitWarmupSeconds: number;
  seed: number;
  log: (line: string) => void;
}

/** The distinct requests of each shape for a data set, the same in every run with the same seed. */
export function planAllShapes(span: DatasetSpan, variants: number, seed: number) {
  return QUERY_SHAPES.map((shape, i) => ({ shape, requests: planRequests(shape, span, variants, seed + i) }));
}

/**
 * Cross-checks every engine against the reference on every distinct request, then times each
 * engine on each shape. Throws on the first difference: a benchmark of wrong answers is worthless.
 */
export async function benchmarkQueries(options: QueryBenchOptions) {
  const { dataset, storedEvents, span, engines, requests, warmup, log } = options;
  const [reference] = engines;
  if (reference === undefined) throw new Error('benchmarkQueries needs at least one engine');
  const plans = planAllShapes(span, options.variants, options.seed);
  const crossChecks: CrossCheckResult[] = [];
  const expected = new Map<ShapeId, Answer[]>();
  for (const { shape, requests: variants } of plans) {
    const answers: Answer[] = [];
    for (const request of variants) answers.push(parseAnswer(await reference.answer(request)));
    expected.set(shape.id, answers);
    const checked: EngineId[] = [reference.id];
    for (const engine of engines.slice(1)) {
      if (engine.limits !== undefined && !engine.limits.shapes.includes(shape.id)) continue;
      const count = Math.min(variants.length, engine.limits?.variants ?? variants.length);
      for (let v = 0; v < count; v++) {
        const difference = findDifference(
          answers[v] as Answer,
          parseAnswer(await engine.answer(variants[v] as QueryRequest)),
        );
        if (difference !== undefined) {
          throw new Error(
            `${dataset} ${shape.id}: ${engine.id} differs from ${reference.id} for ${JSON.stringify(variants[v])}: ${difference}`,
          );
        }
      }
      checked.push(engine.id);
    }
    crossChecks.push({
      dataset,
      shape: shape.id,
      variants: variants.length,
      engines: checked,
      identical: true,
    });
    log(`  cross-checked ${shape.id}: ${checked.join(', ')} agree on ${variants.length} requests`);
  }

  const ours = engines.find((engine) => engine.id === 'ours-handler');
  if (ours !== undefined && options.jitWarmupSeconds > 0) {
    const all = plans.flatMap((plan) => plan.requests);
    const until = performance.now() + options.jitWarmupSeconds * 1000;
    for (let i = 0; performance.now() < until; i++) await ours.answer(all[i % all.length] as QueryRequest);
  }

  const latencies: LatencyResult[] = [];
  for (const { shape, requests: variants } of plans) {
    const answers = expected.get(shape.id) as Answer[];
    for (const engine of engines) {
      const limits = engine.limits;
      if (limits !== undefined && !limits.shapes.includes(shape.id)) continue;
      const count = Math.min(variants.length, limits?.variants ?? variants.length);
      const summary = await timeSeries(
        { warmup: limits?.warmup ?? warmup, requests: limits?.requests ?? requests },
        (i) => engine.answer(variants[i % count] as QueryRequest),
        (body, i) => {
          const total = (answers[i % count] as Answer).total;
          if (parseAnswer(body).total !== total)
            throw new Error(`${engine.id} ${shape.id}: total changed between runs`);
        },
      );
      latencies.push({
        dataset,
        storedEvents,
        shape: shape.id,
        engine: engine.id,
        variants: count,
        ...summary,
      });
      log(
        `  ${shape.id.padEnd(11)} ${engine.id.padEnd(13)} p50 ${summary.p50Ms.toFixed(2)} ms  p95 ${summary.p95Ms.toFixed(2)} ms`,
      );
    }
  }
  return { latencies, crossChecks };
}
