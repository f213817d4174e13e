import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { EXIT_FAILURE, EXIT_SUCCESS, EXIT_USAGE, printCliError } from '../core/cli-options';
import {
  DEFAULT_HEAVY_SHARE,
  type GenerateOptions,
  InvalidGenerateOptionError,
  validateGenerateOptions,
  writeGeneratedEvents,
} from './generate-events';

const HELP = `Usage: npm run generate -- --rows N --customers C --days D --seed S [options]

Writes a synthetic events CSV in the format of data/events.csv (no header, unsorted, unique
transaction ids, one heavy customer and many light ones). The same options give the same bytes.

Options:
  --rows N            number of events
  --customers C       distinct customers (the first is the heavy one)
  --days D            days covered, from --start
  --seed S            any non-negative integer
  --start DATE        first day, YYYY-MM-DD (default 2021-03-01)
  --heavy-share F     share of rows of the heavy customer, 0 to 1 (default ${DEFAULT_HEAVY_SHARE})
  --out FILE          where to write (default: stdout)
  -h, --help          show this help

Examples:
  npm run generate -- --rows 1000000 --customers 500 --days 30 --seed 1 --out /tmp/1m.csv
  npm run generate -- --rows 1000 --customers 3 --days 1 --seed 7 | head

Exit codes: 0 written, 1 write failed, 2 bad usage.`;

const OPTIONS = {
  rows: { type: 'string' },
  customers: { type: 'string' },
  days: { type: 'string' },
  seed: { type: 'string' },
  start: { type: 'string' },
  'heavy-share': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(name: string, value: string | undefined): number {
  if (value === undefined) throw new InvalidGenerateOptionError(`--${name} is required`);
  const number = Number(value);
  if (value.trim() === '' || Number.isNaN(number)) {
    throw new InvalidGenerateOptionError(`--${name} must be a number; received ${JSON.stringify(value)}`);
  }
  return number;
}

function parseOptions(argv: string[]): (GenerateOptions & { out?: string }) | 'help' {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  if (values.help) return 'help';
  if (positionals.length > 0) {
    throw new InvalidGenerateOptionError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  }
  let start: number | undefined;
  if (values.start !== undefined) {
    start = /^\d{4}-\d{2}-\d{2}$/.test(values.start) ? Date.parse(`${values.start}T00:00:00Z`) : Number.NaN;
    if (Number.isNaN(start)) {
      throw new InvalidGenerateOptionError(
        `--start must be a date such as 2021-03-01; received ${JSON.stringify(values.start)}`,
      );
    }
  }
  const options = {
    rows: required('rows', values.rows),
    customers: required('customers', values.customers),
    days: required('days', values.days),
    seed: required('seed', values.seed),
    start,
    heavyShare:
      values['heavy-share'] === undefined ? undefined : required('heavy-share', values['heavy-share']),
    out: values.out,
  };
  validateGenerateOptions(options);
  return options;
}

async function main(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv);
  } catch (error) {
    printCliError(error, `\n${HELP}`);
    return EXIT_USAGE;
  }
  if (options === 'help') {
    console.log(HELP);
    return EXIT_SUCCESS;
  }
  const startedAt = performance.now();
  const out = options.out === undefined ? process.stdout : createWriteStream(options.out);
  try {
    await writeGeneratedEvents(options, out);
  } catch (error) {
    // A reader that stops early (`| head`) is not a failure.
    if (out === process.stdout && (error as { code?: unknown }).code === 'EPIPE') return EXIT_SUCCESS;
    throw error;
  }
  if (options.out !== undefined) {
    out.end();
    await finished(out);
    const seconds = (performance.now() - startedAt) / 1000;
    console.error(`wrote ${options.rows} rows to ${options.out} in ${seconds.toFixed(1)} s`);
  }
  return EXIT_SUCCESS;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    printCliError(error);
    process.exitCode = EXIT_FAILURE;
  },
);
