// @ts-check
/*
 * What `npm run load` runs: the loader CLI (loader/cli.ts) from a bundle made by esbuild, as
 * lib/bundling.ts bundles the functions, so that a load does not spend most of a second at every
 * start compiling TypeScript and resolving the AWS SDK's modules. The bundle is built on first use
 * and again whenever any file it was built from differs, by content, from what it was built from
 * (esbuild's list of inputs, hashed), so it is never stale. It lives in .cache/loader/, with the
 * parsing thread's bundle beside it (loader/parse-threads.ts starts parse-worker.js from there).
 */
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, '.cache', 'loader');
/** The inputs of the bundle and their hash, written last: a bundle without it is rebuilt. */
const STAMP = join(OUT, 'inputs.json');

/** @param {readonly string[]} files paths relative to ROOT */
function digestOf(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(ROOT, file)));
  }
  return hash.digest('hex');
}

function isFresh() {
  try {
    const { inputs, digest } = JSON.parse(readFileSync(STAMP, 'utf8'));
    return digest === digestOf(inputs);
  } catch {
    // No bundle yet, or an input is gone.
    return false;
  }
}

function build() {
  const { buildSync } = require('esbuild');
  const result = buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['loader/cli.ts', 'loader/parse-worker.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outdir: OUT,
    write: false,
    metafile: true,
    // Only the TypeScript sources (not this bundle) start their parsing threads through tsx.
    external: ['tsx'],
    logLevel: 'warning',
  });
  mkdirSync(OUT, { recursive: true });
  // Each file is written aside and renamed into place, so a load starting meanwhile never reads half.
  for (const file of result.outputFiles) {
    const partial = `${file.path}.${process.pid}.partial`;
    writeFileSync(partial, file.contents);
    renameSync(partial, file.path);
  }
  const inputs = Object.keys(result.metafile.inputs);
  const partial = `${STAMP}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify({ inputs, digest: digestOf(inputs) }));
  renameSync(partial, STAMP);
}

if (!isFresh()) build();
require(join(OUT, 'cli.js'));
