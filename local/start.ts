import { createReadStream } from 'node:fs';
import type { Server } from 'node:http';
import { EXIT_FAILURE, printCliError, quietSdkNodeVersionNotice, resolveTarget } from '../core/cli-options';
import { API_CLIENT_SETTINGS, createDynamoDbClient, DEFAULT_TABLE_NAME, optionalEnv } from '../core/config';
import { type CounterStore, createCounterStore } from '../core/counter-store';
import { TableFormatError } from '../core/errors';
import { createHandler } from '../lambda/create-handler';
import { loadEvents } from '../loader/load-events';
import { formatSummary } from '../loader/summary';
import { type RunningDynamoDbLocal, startDynamoDbLocal } from './dynamodb-local';
import { localLambdaContext } from './lambda-context';
import { createLocalServer, listen, readHost, readPort } from './server';

const HELP = `Usage: npm start

Starts DynamoDB Local (data kept under .dynamodb/), loads data/events.csv exactly once, and serves the
API on http://localhost:$PORT. Stop with Ctrl-C. It refuses to start when the DynamoDB Local port
already answers (another instance would serve its own tables).

Environment:
  PORT               HTTP port (default 3000)
  HOST               interface to listen on (default 127.0.0.1, this machine only; 0.0.0.0 for all)
  DYNAMODB_ENDPOINT  use this DynamoDB instead of starting DynamoDB Local
  DYNAMODB_PORT      port for the DynamoDB Local it starts (default 8000)
  DYNAMODB_DATA_DIR  where that DynamoDB Local keeps its data (default .dynamodb)
  TABLE_NAME         table name (default ${DEFAULT_TABLE_NAME})
  DATA_FILE          CSV to load at start (default data/events.csv)`;

/**
 * Makes sure the table is in this version's layout. A table of an older layout in the DynamoDB
 * Local that `npm start` runs itself holds only the bundled data: it is replaced. Anywhere else
 * the loader's message says what to do.
 */
async function checkFormat(store: CounterStore, ownDynamoDb: boolean): Promise<void> {
  try {
    await store.checkFormat();
  } catch (error) {
    if (!(error instanceof TableFormatError && ownDynamoDb)) throw error;
    console.log(`Table ${store.tableName} has the layout of an earlier version; recreating it ...`);
    await store.deleteTable();
    await store.ensureTable();
    await store.checkFormat();
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const port = readPort('PORT', 3000);
  const host = readHost();
  const { endpoint: configuredEndpoint, tableName } = resolveTarget({}, process.env);
  const dataFile = optionalEnv('DATA_FILE') ?? 'data/events.csv';
  let dynamo: RunningDynamoDbLocal | undefined;
  let server: Server | undefined;
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping`);
    server?.close();
    await dynamo?.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  let endpoint = configuredEndpoint;
  try {
    if (endpoint === undefined) {
      const dynamoPort = readPort('DYNAMODB_PORT', 8000);
      const dataDir = optionalEnv('DYNAMODB_DATA_DIR') ?? '.dynamodb';
      console.log(`Starting DynamoDB Local on port ${dynamoPort} (data in ${dataDir}/) ...`);
      dynamo = await startDynamoDbLocal({ port: dynamoPort, dataDir });
      endpoint = dynamo.endpoint;
    }
    const store = createCounterStore({ client: createDynamoDbClient({ endpoint }), tableName });
    await store.ensureTable();
    await checkFormat(store, dynamo !== undefined);
    console.log(`Loading ${dataFile} into table ${tableName} at ${endpoint} ...`);
    const summary = await loadEvents({ store, input: createReadStream(dataFile), source: dataFile });
    console.log(formatSummary(summary));

    // The very handler that runs in Lambda, over the same table, with the Lambda's client timeouts
    // (the load above needs its longer transactions, so the API gets a client of its own).
    const handler = createHandler({
      store: createCounterStore({
        client: createDynamoDbClient({ endpoint, ...API_CLIENT_SETTINGS }),
        tableName,
      }),
    });
    server = createLocalServer((event, requestId) => handler(event, localLambdaContext(requestId)));
    await listen(server, port, host);
  } catch (error) {
    printCliError(error);
    await dynamo?.stop();
    process.exit(EXIT_FAILURE);
  }
  const base = `http://localhost:${port}`;
  const reach =
    host === '127.0.0.1' || host === 'localhost' ? ' (this machine only)' : ` (listening on ${host})`;
  console.log(`
event-counts is serving at ${base}${reach}

Try:
  curl '${base}/v1/customers/b4f9279a0196e40632e947dd1a88e857/event_counts?starting_at=2021-03-01T04:00:00Z&ending_before=2021-03-01T06:30:00Z'
  curl '${base}/v1/customers/b4f9279a0196e40632e947dd1a88e857/total_events'
  open ${base}/ for the usage page
  npm run query -- b4f9279a0196e40632e947dd1a88e857 --starting-at 2021-03-01 --ending-before 2021-03-02 --endpoint ${endpoint}
  npm run customers -- --endpoint ${endpoint}

Stop with Ctrl-C.`);
}

quietSdkNodeVersionNotice();
main().catch((error: unknown) => {
  printCliError(error);
  process.exitCode = EXIT_FAILURE;
});
