import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root. */
export const ROOT = resolve(__dirname, '../..');
const CLI = resolve(ROOT, 'loader/cli.ts');
/** What `npm run load` runs: the launcher of the CLI's esbuild bundle. */
const LAUNCHER = resolve(ROOT, 'loader/launch-cli.js');
// An absolute URL, so the loader also starts from another working directory.
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

/** How a run of the loader CLI ended and what it printed. */
export interface LoaderRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running loader CLI, its output so far, and a promise of how it ends. */
export interface StartedLoader {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  exited: Promise<LoaderRun>;
}

/** How the loader CLI is started: with `bundled`, through `npm run load`'s launcher of its bundle. */
export interface LoaderOptions {
  stdin?: string | Buffer;
  cwd?: string;
  bundled?: boolean;
}

/**
 * Starts `npm run load -- <args>` as node itself (not npx or npm), so a signal reaches the loader
 * rather than a wrapper that would leave it running: the TypeScript CLI through tsx, or with
 * `bundled` the launcher `npm run load` runs. With `stdin` the text is piped in; a loader killed
 * before reading all of it is fine.
 */
export function startLoader(
  args: readonly string[],
  { stdin, cwd = ROOT, bundled = false }: LoaderOptions = {},
): StartedLoader {
  const entry = bundled ? [LAUNCHER] : ['--import', TSX, CLI];
  // The heap `npm run load` gives the loader (package.json).
  const child = spawn(process.execPath, ['--max-old-space-size=256', ...entry, ...args], {
    cwd,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  if (stdin !== undefined) {
    // EPIPE once the loader is gone: expected when a test kills it.
    child.stdin?.on('error', () => {});
    child.stdin?.end(stdin);
  }
  const exited = once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Runs the loader CLI to its end. */
export function runLoader(args: readonly string[], options: LoaderOptions = {}): Promise<LoaderRun> {
  return startLoader(args, options).exited;
}
