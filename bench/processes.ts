import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root: every child runs from here, as `npm run` would. */
export const ROOT = resolve(__dirname, '..');

/** The tsx CLI the npm scripts use. */
export const TSX = resolve(ROOT, 'node_modules', '.bin', 'tsx');

/** Environment for children: the SDK's Node version notice would only add noise to the output. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
}

/**
 * The `at ...` lines of an error's stack, without the `Name: message` it starts with: printed
 * after `error: <message>` when a benchmark process fails, since it is debugged from them.
 */
export function stackFrames(error: unknown): string | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  const start = stack?.search(/\n\s+at /) ?? -1;
  return stack === undefined || start < 0 ? undefined : stack.slice(start + 1);
}

/** What a finished child printed, and how long it ran. */
export interface ChildOutput {
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to completion; fails with its stderr when it exits with another code than 0. */
export async function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = childEnv(),
): Promise<ChildOutput> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    throw new Error(
      `${[command, ...args].join(' ')} exited with ${code}:\n${stderr.trim() || stdout.trim()}`,
    );
  }
  return { stdout, stderr, seconds };
}

/**
 * The V8 heap the loader runs in, as `npm run load` starts it (package.json): its live memory is
 * bounded by design, and the cap keeps V8 from growing the heap with garbage instead of collecting.
 */
export const LOADER_NODE_ARGS = ['--max-old-space-size=256'];

/**
 * Runs a TypeScript child that prints one JSON line last, and returns that line parsed with the
 * child's wall time from spawn to exit (Node, tsx and module loading included).
 */
export async function runJsonTimed<T>(
  script: string,
  args: readonly string[],
  nodeArgs: readonly string[] = [],
): Promise<{ result: T; processSeconds: number }> {
  const { stdout, seconds } = await run(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args]);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return { result: JSON.parse(last) as T, processSeconds: seconds };
}

/**
 * What `npm run load` passes `loadEvents` besides its store and input, so that the bench's own
 * loads (parse-only, metered) run the loader as the CLI does: no parsing threads, the CLI's default
 * (loader/cli.ts; on this 2-core machine a parsing thread measured no faster, since the main thread's
 * buffering and planning bound the rate).
 */
export const LOADER_OPTIONS: { parseThreads?: number } = { parseThreads: 0 };

/** Runs a TypeScript child that prints one JSON line last, and returns that line parsed. */
export async function runJson<T>(script: string, args: readonly string[], nodeArgs: readonly string[] = []) {
  return (await runJsonTimed<T>(script, args, nodeArgs)).result;
}

/**
 * Starts a long-running child and resolves once a line of its stdout matches `ready`; the rest of
 * its output is read and dropped, so it never blocks on a full pipe.
 */
export async function startUntilReady(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${args.join(' ')} not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    lines.on('line', (line) => {
      if (ready.test(line)) {
        clearTimeout(timer);
        resolveReady();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code} before it was ready:\n${stderr.trim()}`));
    });
  });
  return child;
}

/** Stops a child started by `startUntilReady` and waits for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
