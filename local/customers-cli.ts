import { parseArgs } from 'node:util';
import {
  EXIT_SUCCESS,
  EXIT_USAGE,
  printCliError,
  quietSdkNodeVersionNotice,
  resolveTarget,
  TARGET_OPTIONS,
  targetOptionsHelp,
} from '../core/cli-options';
import { API_CLIENT_SETTINGS, createDynamoDbClient } from '../core/config';
import { createCounterStore } from '../core/counter-store';
import { type CustomerListBody, customerListBody } from '../lambda/response-bodies';
import { describeCliError, formatCustomersTable } from './cli-support';

const HELP = `Usage: npm run customers -- [options]

Lists every customer the loader has counted, in id order, with its first and last event time and
its total events (the API's GET /v1/customers, all pages).

Options:
  --json               print the customers as a JSON array of the API's customer objects
${targetOptionsHelp(23)}
  -h, --help           show this help

Examples:
  npm run customers
  npm run customers -- --json --endpoint http://localhost:8000 --table event-counts

Exit codes: 0 listed, 1 DynamoDB failed, 2 bad usage.`;

const OPTIONS = {
  ...TARGET_OPTIONS,
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; allowPositionals: false; options: typeof OPTIONS }>
  >;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: false, options: OPTIONS });
  } catch (error) {
    printCliError(error, 'Run npm run customers -- --help for the options.');
    return EXIT_USAGE;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(HELP);
    return EXIT_SUCCESS;
  }
  const { endpoint, region, tableName, where } = resolveTarget(values, process.env);
  const store = createCounterStore({
    client: createDynamoDbClient({ endpoint, region, ...API_CLIENT_SETTINGS }),
    tableName,
  });
  try {
    const customers: CustomerListBody['customers'] = [];
    let nextPage: string | undefined;
    do {
      const page = await customerListBody(store, { limit: '1000', next_page: nextPage });
      customers.push(...page.customers);
      nextPage = page.next_page ?? undefined;
    } while (nextPage !== undefined);
    console.log(values.json ? JSON.stringify(customers) : formatCustomersTable(customers));
    return EXIT_SUCCESS;
  } catch (error) {
    const { message, exitCode } = describeCliError(error, where, {});
    printCliError(message);
    return exitCode;
  }
}

quietSdkNodeVersionNotice();
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
