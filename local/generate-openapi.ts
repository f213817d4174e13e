import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EXIT_FAILURE, printCliError } from '../core/cli-options';

const SOURCE = 'docs/openapi.yaml';
const TARGET = 'lambda/openapi-document.ts';

/**
 * Turns docs/openapi.yaml into a TypeScript module, so the Lambda bundle (esbuild), tsx and
 * ts-jest all import the same document without a YAML parser or file access at run time.
 */
function main(): void {
  const document: unknown = parse(readFileSync(SOURCE, 'utf8'));
  const version = (document as { openapi?: unknown } | null)?.openapi;
  if (typeof version !== 'string' || !version.startsWith('3.1.')) {
    throw new Error(
      `${SOURCE} must be an OpenAPI 3.1 document; its openapi field is ${JSON.stringify(version)}`,
    );
  }
  writeFileSync(
    TARGET,
    `// Generated from ${SOURCE} by \`npm run openapi\`; edit the YAML and run it again.\n\n` +
      `/** The OpenAPI 3.1 description of the API, served at /openapi.json. */\n` +
      `export const OPENAPI_DOCUMENT: Record<string, unknown> = ${JSON.stringify(document, null, 2)};\n`,
  );
  const biome = spawnSync(
    process.execPath,
    [require.resolve('@biomejs/biome/bin/biome'), 'format', '--write', TARGET],
    {
      stdio: 'inherit',
    },
  );
  if (biome.status !== 0) throw new Error(`biome could not format ${TARGET}`);
  console.log(`wrote ${TARGET} from ${SOURCE}`);
}

try {
  main();
} catch (error) {
  printCliError(error);
  process.exitCode = EXIT_FAILURE;
}
