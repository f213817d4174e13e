import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { build, type Metafile } from 'esbuild';
import { childEnv, ROOT, run } from './processes';
import { median } from './stats';

/** The Lambda bundle and how long a fresh Node process takes to load and first run it. */
export interface ColdStartResult {
  bundleBytes: number;
  sourceMapBytes: number;
  /** Largest contributors to the bundle, by package or project folder. */
  largestInputs: { input: string; bytes: number }[];
  runs: number;
  /** require() of the bundle: module evaluation, client and router creation. */
  medianImportMs: number;
  /** The same with `--enable-source-maps`, as the stack's NODE_OPTIONS sets it. */
  medianImportWithSourceMapsMs: number;
  /** Process start (Node's time origin) to the handler being ready. */
  medianProcessReadyMs: number;
  /** The first invocation in that process: a 72-hour request against DynamoDB Local. */
  medianFirstInvocationMs: number;
  node: string;
}

/**
 * Bundles lambda/api-handler.ts with the options of the stack's NodejsFunction (lib/): esbuild,
 * CommonJS, minified, target node22, platform node, the AWS SDK bundled (bundleAwsSDK), source map.
 */
export async function bundleHandler(outDir: string): Promise<{ file: string; metafile: Metafile }> {
  const file = join(outDir, 'index.js');
  const result = await build({
    entryPoints: [join(ROOT, 'lambda', 'api-handler.ts')],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
  });
  return { file, metafile: result.metafile };
}

function inputGroup(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match?.[1] ?? path.split('/')[0] ?? path;
}

function largestInputs(metafile: Metafile): { input: string; bytes: number }[] {
  // Output paths are relative to the working directory; the bundle is the one .js output.
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.js'));
  const groups = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.[1].inputs ?? {})) {
    const group = inputGroup(path);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  return [...groups]
    .map(([input, bytes]) => ({ input, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
}

// Runs in a fresh `node -e`: loads the bundle, invokes the handler once, prints one marked line.
const PROBE = `
const started = performance.now();
const { handler } = require(process.argv[1]);
const imported = performance.now();
const context = { awsRequestId: 'cold-start', getRemainingTimeInMillis: () => 10000 };
handler(JSON.parse(process.argv[2]), context).then((response) => {
  const invoked = performance.now();
  console.log('COLD-START ' + JSON.stringify({
    importMs: imported - started, readyMs: imported, invokeMs: invoked - imported, status: response.statusCode,
  }));
});`;

interface ProbeResult {
  importMs: number;
  readyMs: number;
  invokeMs: number;
  status: number;
}

async function probe(
  bundle: string,
  event: APIGatewayProxyEventV2,
  env: NodeJS.ProcessEnv,
  sourceMaps: boolean,
) {
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '-e', PROBE, bundle, JSON.stringify(event)];
  const { stdout } = await run(process.execPath, args, env);
  const line = stdout.split('\n').find((text) => text.startsWith('COLD-START '));
  if (line === undefined) throw new Error(`cold start probe printed no result: ${stdout}`);
  const result = JSON.parse(line.slice('COLD-START '.length)) as ProbeResult;
  if (result.status !== 200) throw new Error(`cold start probe got status ${result.status}`);
  return result;
}

/** Builds the bundle and starts it `runs` times in fresh processes, with and without source maps. */
export async function benchmarkColdStart(options: {
  outDir: string;
  runs: number;
  endpoint: string;
  tableName: string;
  event: APIGatewayProxyEventV2;
}): Promise<ColdStartResult> {
  const { file, metafile } = await bundleHandler(options.outDir);
  const env = childEnv({ TABLE_NAME: options.tableName, DYNAMODB_ENDPOINT: options.endpoint });
  delete env.NODE_OPTIONS;
  const plain: ProbeResult[] = [];
  const mapped: ProbeResult[] = [];
  for (let i = 0; i < options.runs; i++) {
    plain.push(await probe(file, options.event, env, false));
    mapped.push(await probe(file, options.event, env, true));
  }
  return {
    bundleBytes: statSync(file).size,
    sourceMapBytes: statSync(`${file}.map`).size,
    largestInputs: largestInputs(metafile),
    runs: options.runs,
    medianImportMs: median(plain.map((result) => result.importMs)),
    medianImportWithSourceMapsMs: median(mapped.map((result) => result.importMs)),
    medianProcessReadyMs: median(plain.map((result) => result.readyMs)),
    medianFirstInvocationMs: median(plain.map((result) => result.invokeMs)),
    node: process.version,
  };
}
