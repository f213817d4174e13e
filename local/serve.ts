import { EXIT_FAILURE, printCliError, quietSdkNodeVersionNotice, resolveTarget } from '../core/cli-options';
import { API_CLIENT_SETTINGS, createDynamoDbClient, DEFAULT_TABLE_NAME, requireEnv } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { errorMessage } from '../core/errors';
import { createHandler } from '../lambda/create-handler';
import { waitForDynamoDb } from './dynamodb-local';
import { localLambdaContext } from './lambda-context';
import { createLocalServer, listen, readHost, readPort } from './server';

const HELP = `Usage: npm run serve

Serves the API on http://localhost:$PORT from a DynamoDB that already holds the counters: it starts
nothing and loads nothing (see npm run load). The api service of docker-compose.yml runs this.
Stop with Ctrl-C.

Environment:
  DYNAMODB_ENDPOINT  the DynamoDB to read, e.g. http://localhost:8000 (required)
  TABLE_NAME         table name (default ${DEFAULT_TABLE_NAME})
  PORT               HTTP port (default 3000)
  HOST               interface to listen on (default 127.0.0.1, this machine only; the compose
                     file sets 0.0.0.0 so that the published port reaches the container)`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(HELP);
    return;
  }
  const endpoint = requireEnv('DYNAMODB_ENDPOINT');
  const { tableName } = resolveTarget({}, process.env);
  const port = readPort('PORT', 3000);
  const host = readHost();
  await waitForDynamoDb(endpoint);

  // The very handler that runs in Lambda, with the Lambda's client timeouts, over the table given here.
  const handler = createHandler({
    store: createCounterStore({
      client: createDynamoDbClient({ endpoint, ...API_CLIENT_SETTINGS }),
      tableName,
    }),
  });
  const server = createLocalServer((event, requestId) => handler(event, localLambdaContext(requestId)));
  await listen(server, port, host);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.close();
      process.exit(0);
    });
  }
  console.log(
    `event-counts is serving at http://localhost:${port} (listening on ${host}; table ${tableName} at ${endpoint})`,
  );
}

quietSdkNodeVersionNotice();
main().catch((error: unknown) => {
  printCliError(`${errorMessage(error)} (usage: npm run serve -- --help)`);
  process.exitCode = EXIT_FAILURE;
});
