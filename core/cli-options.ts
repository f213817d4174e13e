import { DEFAULT_TABLE_NAME, optionalEnv } from './config';
import { errorMessage } from './errors';

/*
 * What every command-line tool shares (the loader's in loader/, the readers and servers in local/):
 * the options that name the table, their environment fallbacks and help, exit codes and the way an
 * error is printed.
 */

/**
 * Keeps the AWS SDK's ten-line notice that its releases after January 2027 need Node.js 22 out of a
 * command's output: this project supports Node.js 20, and the notice says nothing about the command.
 * Narrow: the SDK reads this variable for that notice alone, and a value the user set (`false`
 * shows it again) is kept. A CLI's entry calls it before it creates any client (the SDK emits the
 * notice when the first client is created).
 */
export function quietSdkNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Exit code 0: the command did what was asked. */
export const EXIT_SUCCESS = 0;
/** Exit code 1: the command line is fine but the work failed (no answer, DynamoDB failed, I/O failed). */
export const EXIT_FAILURE = 1;
/** Exit code 2: the command line itself is wrong. */
export const EXIT_USAGE = 2;

/** The `node:util` `parseArgs` options that say where the table is. */
export const TARGET_OPTIONS = {
  endpoint: { type: 'string' },
  table: { type: 'string' },
  region: { type: 'string' },
} as const;

const TARGET_OPTION_HELP: readonly (readonly [string, readonly string[]])[] = [
  [
    '--endpoint URL',
    [
      'DynamoDB endpoint, e.g. http://localhost:8000 (default: $DYNAMODB_ENDPOINT,',
      'else AWS with the default credential chain)',
    ],
  ],
  ['--table NAME', [`table name (default: $TABLE_NAME, else ${DEFAULT_TABLE_NAME})`]],
  ['--region R', ['AWS region (default: $AWS_REGION)']],
];

/**
 * Help lines for TARGET_OPTIONS, their descriptions starting at `column` so that they line up with
 * the other options of the command's help.
 */
export function targetOptionsHelp(column: number): string {
  return TARGET_OPTION_HELP.flatMap(([option, [first, ...rest]]) => [
    `  ${option}`.padEnd(column) + first,
    ...rest.map((line) => ' '.repeat(column) + line),
  ]).join('\n');
}

/** Where a command finds its table, resolved from its options and the environment. */
export interface CliTarget {
  /** A DynamoDB Local URL, or undefined for AWS's regional endpoint. */
  endpoint: string | undefined;
  region: string | undefined;
  tableName: string;
  /** The table and where it is, for messages: `table event-counts at http://localhost:8000`. */
  where: string;
}

/**
 * Resolves `--endpoint`, `--table` and `--region` against their fallbacks: $DYNAMODB_ENDPOINT,
 * $TABLE_NAME (else DEFAULT_TABLE_NAME) and $AWS_REGION. The caller, an entry file, passes the
 * environment.
 */
export function resolveTarget(
  values: { endpoint?: string; table?: string; region?: string },
  env: NodeJS.ProcessEnv,
): CliTarget {
  const endpoint = values.endpoint ?? optionalEnv('DYNAMODB_ENDPOINT', env);
  const region = values.region ?? optionalEnv('AWS_REGION', env);
  const tableName = values.table ?? optionalEnv('TABLE_NAME', env) ?? DEFAULT_TABLE_NAME;
  const at = endpoint ?? `AWS${region === undefined ? '' : ` ${region}`}`;
  return { endpoint, region, tableName, where: `table ${tableName} at ${at}` };
}

/**
 * Prints `error: <message>` on stderr, the one error format of every CLI, followed by `hint` (what
 * to do next) on lines of its own.
 */
export function printCliError(error: unknown, hint?: string): void {
  console.error(`error: ${errorMessage(error)}${hint === undefined ? '' : `\n${hint}`}`);
}
