import { LOADER_NODE_ARGS } from './processes';
import { ENGINE_LABELS, type EngineId } from './query-bench';
import { QUERY_SHAPES } from './query-shapes';
import { type BenchResults, p50, type TargetId } from './results';

/**
 * Why a target is missed and what would move it, shown next to the target while it stays missed.
 * Written from the profiles and measurements of the runs that found the miss.
 */
const MISSED_TARGET_NOTES: Record<TargetId, string> = {
  'query-growth':
    'A partial edge hour is answered from its whole time index (4 bytes per event), so the 72-hour query grows ' +
    'with the events in its two edge hours, not with the table: compare the index items and RCUs per request in ' +
    'the cost table and the events per hour in the data set table. Next lever: split each hour\u2019s index into ' +
    'fixed sub-hour fragments (for example 6 × 10 minutes, with their counts in the counter item) so an edge reads ' +
    'only the fragment its boundary falls in. The streaming loader adds a second cause: every buffer write adds ' +
    'its own index fragment to each hour it touches, so an edge hour of an unsorted file spanning several buffer ' +
    'writes is read as one item per buffer write (see the index items per request against the buffer writes in ' +
    'the load table). Lever for that: fold an hour\u2019s fragments into one when the loader next writes the hour.',
  'query-vs-csv-scan':
    'Only missed where the CSV is small: data/events.csv is 15 MB and DuckDB scans it in tens of milliseconds, ' +
    'while our 72-hour answer costs three DynamoDB Queries (the counters and the two partial edge hours, issued ' +
    'concurrently). A V8 profile of 1,000 such requests through the in-process handler (taken by hand) put about ' +
    '60% of a request in Node (AWS SDK ' +
    'serialization, SigV4 signing, parsing, the JSON body) and the rest waiting for DynamoDB Local, both on the ' +
    'same two cores. From 1M rows on the ratio is far above 10× and grows with the file: the scan is linear, ' +
    'our query is not. Next lever: keep edge-hour time indexes in the Lambda container, validated by the hour\u2019s ' +
    'counter that the range Query returns anyway (a load only ever adds events, so an unchanged count means an ' +
    'unchanged index); a repeated edge hour then costs no request, leaving one Query per answer.',
  'query-vs-duckdb-memory':
    'DuckDB answers from memory inside the process; ours makes up to three HTTP round trips to DynamoDB. Next ' +
    'lever: keep edge-hour time indexes in the Lambda container, validated by the hour\u2019s counter that the ' +
    'range Query returns anyway (a load only ever adds events), which leaves one Query per answer.',
  'loader-throughput':
    'The parse-only path is led by reading rows, no longer by planning writes: at the top of the profile below ' +
    'are the per-row work of `loadEvents` (loader/load-events.ts), `digestTransactionId`, `EventBuffer.add` and ' +
    'its `grow`, the file reads, `parseCsvTimestamp` and `splitCsvLine`, then garbage collection; the write path ' +
    '(planning and scheduling one window of 512 hours at a time, `runExclusive` looking a bounded way ahead) comes ' +
    'after. DuckDB parses the CSV natively on both cores; the loader is one JavaScript thread that makes a string ' +
    'of every line and field. Next levers, in order: parse bytes instead of strings (split fields, ' +
    'digest the transaction_id and read the timestamp from the buffer, without a string per line); then one ' +
    'worker thread per core over byte ranges of the file (loader/byte-ranges.ts), each with its own event buffer.',
  'loader-memory-growth':
    'The loader\u2019s live memory is bounded by design, not by the file: the event buffer (about 40 bytes an ' +
    'event), one window of 512 customer-hours read, planned and committed at a time (per hour write a counter, ' +
    'time index and digest fragments, each an object with key strings and packed copies of its offsets and ' +
    'digests), and one 1 MB page of an hour\u2019s digests at a time; and it runs in a 256 MB V8 heap ' +
    '(`--max-old-space-size=256`, as `npm run load` starts it) so that V8 collects the garbage of earlier windows ' +
    'and buffer writes instead of growing the heap with it. Before the window and the cap, a buffer write planned ' +
    'all its customer-hours at once (about 45,000 a buffer write on these files) and the 2m file peaked at 2.13× ' +
    'the 200k one. A peak that grows again means something outside these bounds holds memory: take a heap sampling ' +
    'profile of the larger file at its peak. Levers: a smaller window (`WINDOW_HOURS` in loader/write-events.ts) ' +
    'or default buffer; fewer objects per hour write.',
  'loader-memory-10m':
    'Same bounds as the growth target (the buffer, a window of 512 hours, one page of digests, a 256 MB heap), none ' +
    'of which grows with the file: a peak over 512 MB means memory held outside them, found with a heap sampling ' +
    'profile of the parse-only path at its peak. Same levers as the growth target.',
  'load-end-to-end':
    'About a second of each run passes before the first row is read: starting Node and tsx (which compiles the ' +
    'TypeScript on the fly) and loading the AWS SDK (the startup column); the first run also writes into a ' +
    'DynamoDB Local whose JVM has just started. Unlike the ratios, this target is in seconds, so other work on a ' +
    'shared machine does not cancel out: in the 147k run of 2026-12-02 that missed it, with the load average ' +
    'rising above 7 during the load section, the three runs took 6.6, 4.7 and 3.2 s, and by hand minutes later ' +
    'the same command took a median of 1.68 s (4 runs). Next lever: run `npm run load` from a JavaScript bundle built by ' +
    'esbuild, as the Lambda is, instead of through tsx: by hand on this machine, a bundled loader CLI started ' +
    'in about half the time.',
  'bundle-size':
    'The AWS SDK is most of the bundle (see the largest inputs). Next lever: leave `@aws-sdk/*` external and use ' +
    'the SDK of the Lambda runtime, at the price of an SDK version the tests did not run against.',
  'import-time':
    'Most of the import is evaluating the bundled AWS SDK, and `--enable-source-maps` adds the parsing of the ' +
    'source map. Next lever: drop `NODE_OPTIONS=--enable-source-maps` in the stack (stack traces then point into ' +
    'the minified bundle) or leave the SDK external.',
};

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const ms = (value: number | undefined) => (value === undefined ? '–' : value.toFixed(2));
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const mb = (value: number) => `${Math.round(value)} MB`;
const status = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

function targetsSection(results: BenchResults): string {
  const notes = results.targets
    .filter((target) => target.met === false)
    .map((target) => `- **${target.target}** — ${MISSED_TARGET_NOTES[target.id]}`);
  return [
    '## Targets',
    '',
    'Each target is a ratio within this one run, so the machine cancels out, except the absolute ones: the ' +
      'peak RSS on 10M rows, the end-to-end load time, the bundle size and the import time.',
    '',
    table(
      ['target', 'measured', 'status'],
      results.targets.map((t) => [t.target, t.measured, status(t.met)]),
    ),
    ...(notes.length > 0 ? ['', 'Missed targets, why, and the next lever:', '', ...notes] : []),
  ].join('\n');
}

function latencySection(results: BenchResults): string {
  const parts = [
    '## Query latency',
    '',
    '![Query latency (p50) against stored events](benchmarks/query-latency.svg)',
    '',
    `Milliseconds per request, ${results.settings.requests} timed requests per row after ` +
      `${results.settings.warmup} warm-up requests (DuckDB scanning the CSV: ` +
      `${results.settings.csvScan.requests} after ${results.settings.csvScan.warmup} on the generated sets), ` +
      'sequential, one connection.',
  ];
  for (const dataset of results.datasets) {
    const rows = QUERY_SHAPES.flatMap((shape) =>
      results.latencies
        .filter((l) => l.dataset === dataset.id && l.shape === shape.id)
        .map((l) => [
          shape.label,
          ENGINE_LABELS[l.engine],
          l.requests,
          ms(l.p50Ms),
          ms(l.p95Ms),
          ms(l.p99Ms),
        ]),
    );
    parts.push(
      '',
      `### ${dataset.label}: ${int(dataset.storedEvents)} stored events`,
      '',
      table(['query', 'answered by', 'requests', 'p50', 'p95', 'p99'], rows),
    );
  }
  if (results.datasets.length > 1) {
    const ids = results.datasets.map((d) => d.id);
    const engines: EngineId[] = ['ours-handler', 'ours-http', 'duckdb-memory', 'duckdb-memory-sorted'];
    parts.push(
      '',
      '### Growth: p50 as the stored events grow',
      '',
      table(
        ['query', 'answered by', ...ids.map((id) => `p50 at ${id}`), `${ids.at(-1)} / ${ids[0]}`],
        QUERY_SHAPES.flatMap((shape) =>
          engines.map((engine) => {
            const values = ids.map((id) => p50(results, id, shape.id, engine));
            const first = values[0];
            const last = values.at(-1);
            const growth = first !== undefined && last !== undefined ? `${(last / first).toFixed(2)}×` : '–';
            return [shape.label, ENGINE_LABELS[engine], ...values.map(ms), growth];
          }),
        ),
      ),
    );
  }
  return parts.join('\n');
}

function costSection(results: BenchResults): string {
  const rows = results.cost.map((c) => [
    c.dataset,
    QUERY_SHAPES.find((s) => s.id === c.shape)?.label ?? c.shape,
    c.requests,
    c.queryCallsPerRequest,
    c.counterItemsPerRequest,
    c.indexItemsPerRequest,
    c.readCapacityUnitsPerRequest,
    c.edgeIndexReads,
    c.wholeHourIndexReads,
  ]);
  const whole = results.cost.reduce((sum, c) => sum + c.wholeHourIndexReads, 0);
  return [
    '## Cost per query',
    '',
    'Every distinct request of each shape, once, through the handler over a store that asks DynamoDB for ' +
      '`ReturnConsumedCapacity: TOTAL` (Query is eventually consistent: 0.5 RCU per 4 KB read, rounded up per call). ' +
      'Averages per request; index reads summed over all requests.',
    '',
    table(
      [
        'data set',
        'query',
        'requests',
        'Query calls',
        'counter items',
        'index items',
        'RCUs',
        'index reads of partial edge hours',
        'index reads of whole hours',
      ],
      rows,
    ),
    '',
    whole === 0
      ? 'No request read the time index of an hour it covers whole: whole hours come from their counters only, ' +
        'and only partial first and last hours read an index.'
      : `**${whole} index reads of whole hours**: the design says there must be none.`,
  ].join('\n');
}

function loadSection(results: BenchResults): string {
  const throughput = results.load.map((l) => [
    l.dataset,
    int(l.rows),
    int(l.parseOnly.rowsPerSecond),
    mb(l.parseOnly.peakRssMb),
    int(l.duckdb.rowsPerSecond),
    mb(l.duckdb.peakRssMb),
    `1/${(l.duckdb.rowsPerSecond / l.parseOnly.rowsPerSecond).toFixed(1)}`,
    l.crossCheck.identical ? `identical (${int(l.crossCheck.hours)} customer-hours)` : '**differ**',
  ]);
  const intoDynamoDb = results.writeCost.datasets.map((w) => [
    w.dataset,
    int(w.rows),
    w.seconds.toFixed(1),
    int(w.rowsPerSecond),
    w.bufferWrites,
    int(w.transactions),
    int(w.itemsWritten),
    mb(w.peakRssMb),
  ]);
  const endToEnd = results.load.flatMap((l) =>
    (l.endToEnd?.runs ?? []).map((run, i) => [
      l.dataset,
      i + 1,
      run.secondsToSummary.toFixed(2),
      run.startupSeconds.toFixed(2),
      run.loadSeconds.toFixed(2),
      int(run.transactions),
      int(run.itemsWritten),
      mb(run.peakRssMb),
    ]),
  );
  const runs = results.settings.throughputRuns;
  return [
    '## Load',
    '',
    `*Parse-only* is the loader without I/O: \`loadEvents\` with its default buffer over a store that answers every ` +
      'hour \u201cnever written\u201d and writes nothing (`bench/load-child.ts`), so it reads, validates, buffers, ' +
      `deduplicates and plans every transaction; best of ${runs} fresh processes, in the V8 heap \`npm run load\` ` +
      `gives the loader (\`${LOADER_NODE_ARGS.join(' ')}\`). *DuckDB* computes the same ` +
      `per-customer hourly counts from the same file, best of ${runs} fresh processes ` +
      `(${results.machine.duckdbThreads} threads). Peak RSS is each process\u2019s own (\`process.resourceUsage().maxRSS\`).`,
    '',
    table(
      [
        'data set',
        'rows',
        'parse-only rows/s',
        'parse-only peak RSS',
        'DuckDB rows/s',
        'DuckDB peak RSS',
        'ours / DuckDB',
        'hourly counts',
      ],
      throughput,
    ),
    '',
    '*Into DynamoDB Local* is one load of each data set into a fresh table, in a process of its own ' +
      '(`bench/write-cost-child.ts`: `loadEvents` with its defaults over the DynamoDB store, with the client ' +
      'settings and heap of `npm run load`), metered for the write cost below; the queries read its table. *Buffer ' +
      'writes* are the times the loader\u2019s buffer filled and was written; each is read, planned and committed ' +
      '512 customer-hours at a time.',
    '',
    table(
      ['data set', 'rows', 'load s', 'rows/s', 'buffer writes', 'transactions', 'items written', 'peak RSS'],
      intoDynamoDb,
    ),
    ...(endToEnd.length === 0
      ? []
      : [
          '',
          `*End to end* is \`tsx loader/cli.ts <file> --endpoint ... --json\` with ` +
            `\`NODE_OPTIONS=${LOADER_NODE_ARGS.join(' ')}\` (what \`npm run load\` runs) ` +
            'into fresh tables of DynamoDB Local, from process start to its summary; the first data set only. ' +
            '*Startup* is everything before the load begins (Node, tsx, the AWS SDK, the table check); *load* is ' +
            'the loader\u2019s own clock, reading and writing interleaved.',
          '',
          table(
            [
              'data set',
              'run',
              'end to end s',
              'startup s',
              'load s',
              'transactions',
              'items written',
              'peak RSS',
            ],
            endToEnd,
          ),
        ]),
  ].join('\n');
}

function memorySection(results: BenchResults): string {
  const memory = results.loaderMemory;
  if (memory === null) return '## Loader memory against file size\n\nNot measured in this run.';
  const [first] = memory.points;
  return [
    '## Loader memory against file size',
    '',
    `Peak RSS of the loader\u2019s parse-only path (as above; buffer of ${int(memory.bufferEvents)} events, its ` +
      `default; heap \`${LOADER_NODE_ARGS.join(' ')}\`) on generated files of one shape ` +
      '(`npm run generate`: 50 customers, 90 days, seed 1), the highest ' +
      `of ${memory.runs} fresh process${memory.runs === 1 ? '' : 'es'} each. A process that only loads the ` +
      `loader\u2019s modules peaks at ${mb(memory.baselineRssMb)} (Node and tsx).`,
    '',
    table(
      [
        'file',
        'rows',
        'size',
        'peak RSS',
        'above the modules alone',
        `peak / ${first?.id ?? 'first'}`,
        'rows/s',
      ],
      memory.points.map((point) => [
        `\`${point.file}\``,
        int(point.rows),
        `${(point.bytes / 1e6).toFixed(1)} MB`,
        mb(point.peakRssMb),
        mb(point.peakRssMb - memory.baselineRssMb),
        first === undefined ? '\u2013' : `${(point.peakRssMb / first.peakRssMb).toFixed(2)}×`,
        int(point.rows / point.seconds),
      ]),
    ),
  ].join('\n');
}

const usd = (value: number) => `$${value.toFixed(4)}`;

function writeCostSection(results: BenchResults): string {
  const { prices, datasets } = results.writeCost;
  if (datasets.length === 0) return '';
  const reported = datasets.reduce((sum, w) => sum + w.transactionWriteUnitsReportedByDynamoDbLocal, 0);
  const billed = datasets.reduce((sum, w) => sum + w.writeUnits.transactions, 0);
  const readsReported = datasets.reduce((sum, w) => sum + w.readUnits.reportedByDynamoDbLocal, 0);
  const readsBilled = datasets.reduce((sum, w) => sum + w.readUnits.dedupReads, 0);
  return [
    '## Write cost per million events',
    '',
    'Each data set\u2019s load into DynamoDB Local above, every call metered (`bench/capacity-meter.ts`). Units follow ' +
      'DynamoDB\u2019s billing rules: a transactional write costs 2 write request units per KB of each item, rounded ' +
      'up per item; a customer span update 1 per KB, a failed condition included; a strongly consistent Query page ' +
      `of the dedup reads 1 read request unit per 4 KB read, at least 1. Dollars at DynamoDB on-demand prices in ` +
      `${prices.region}: $${prices.writeUsdPerMillionUnits} per million write request units and ` +
      `$${prices.readUsdPerMillionUnits} per million read request units (in effect since ${prices.effectiveSince}, ` +
      `as listed on ${prices.asOf}; [pricing](${prices.source})). Storage and the queries are not included.`,
    '',
    table(
      [
        'data set',
        'events',
        'write units',
        'write units / M events',
        'writes $ / M events',
        'dedup read pages',
        'read units / M events',
        'reads $ / M events',
        'total $ / M events',
      ],
      datasets.map((w) => [
        w.dataset,
        int(w.events),
        int(w.writeUnits.total),
        int(w.perMillionEvents.writeUnits),
        usd(w.perMillionEvents.writeUsd),
        int(w.readUnits.queries),
        int(w.perMillionEvents.readUnits),
        usd(w.perMillionEvents.readUsd),
        usd(w.perMillionEvents.totalUsd),
      ]),
    ),
    '',
    'Deduplication data stored: per counted event a 12-byte digest entry, in fragments of up to 32,000 entries per ' +
      'hour write, and nothing else (an hour\u2019s version is the highest write number among its digest fragment ' +
      'keys); bytes are the items\u2019 attribute names and values plus DynamoDB\u2019s 100 bytes of overhead per ' +
      'item.',
    '',
    table(
      ['data set', 'events', 'items', 'bytes', 'bytes / event', 'of which digest entries'],
      datasets.map((w) => [
        w.dataset,
        int(w.events),
        int(w.dedupStorage.items),
        int(w.dedupStorage.bytes),
        w.dedupStorage.bytesPerEvent.toFixed(2),
        w.dedupStorage.digestEntryBytesPerEvent,
      ]),
    ),
    '',
    `DynamoDB Local reported ${int(reported)} write units for these transactions where DynamoDB\u2019s rule gives ` +
      `${int(billed)}: it does not round per item (measured: a transaction of five items under 1 KB reports 2, ` +
      'DynamoDB bills 10), so the units above are computed from the items written. Its Query units follow ' +
      'DynamoDB\u2019s except that a Query finding nothing reports 0, where a strongly consistent read is billed 1: ' +
      `it reported ${int(readsReported)} of the ${int(readsBilled)} read units above.`,
  ].join('\n');
}

function coldStartSection(results: BenchResults): string {
  const cold = results.coldStart;
  if (cold === null) return '## Lambda cold start\n\nNot measured in this run.';
  return [
    '## Lambda cold start',
    '',
    '`lambda/api-handler.ts` bundled by esbuild as the stack does (CommonJS, minified, target node22, platform node, ' +
      `AWS SDK bundled, source map), then loaded with \`require\` in ${cold.runs} fresh Node ${cold.node} processes ` +
      '(Lambda runs Node 22) and invoked once with a 72-hour request against DynamoDB Local. Medians.',
    '',
    table(
      [
        'bundle',
        'source map',
        'import',
        'import with --enable-source-maps',
        'process start to ready',
        'first invocation',
      ],
      [
        [
          `${(cold.bundleBytes / 1000).toFixed(1)} KB`,
          `${(cold.sourceMapBytes / 1000).toFixed(1)} KB`,
          `${ms(cold.medianImportMs)} ms`,
          `${ms(cold.medianImportWithSourceMapsMs)} ms`,
          `${ms(cold.medianProcessReadyMs)} ms`,
          `${ms(cold.medianFirstInvocationMs)} ms`,
        ],
      ],
    ),
    '',
    'Largest parts of the bundle (esbuild metafile):',
    '',
    table(
      ['input', 'bytes in bundle'],
      cold.largestInputs.map((input) => [`\`${input.input}\``, int(input.bytes)]),
    ),
  ].join('\n');
}

function profileSection(results: BenchResults): string {
  const profile = results.loaderProfile;
  if (profile === null) return '';
  return [
    '## Where the loader spends its time',
    '',
    `V8 CPU profile (inspector, 1 ms sampling) of the loader\u2019s parse-only path over ${profile.dataset} (${int(profile.busyMs)} ms of CPU samples, idle excluded), ` +
      'top functions by self time:',
    '',
    table(
      ['function', 'where', 'self ms', 'share'],
      profile.hotSpots.map((h) => [`\`${h.function}\``, `\`${h.location}\``, int(h.selfMs), `${h.share}%`]),
    ),
  ].join('\n');
}

function datasetsSection(results: BenchResults): string {
  return [
    '## Data sets',
    '',
    table(
      [
        'id',
        'file',
        'rows',
        'size',
        'stored events',
        'customers',
        'events/hour of queried customers',
        'span',
      ],
      results.datasets.map((d) => [
        d.id,
        `\`${d.file}\``,
        int(d.rows),
        `${(d.bytes / 1e6).toFixed(1)} MB`,
        int(d.storedEvents),
        d.customers,
        int(d.queriedCustomerEventsPerHour),
        `${d.firstEventAt.slice(0, 16)} to ${d.lastEventAt.slice(0, 16)}`,
      ]),
    ),
  ].join('\n');
}

const method = (results: BenchResults) => `## Method

- **Questions.** Five shapes: one whole clock hour; 3 hours with both edges partial; 72 hours with partial
  edges; 30 days and 366 days on day boundaries. Each shape has a fixed set of distinct requests (seeded),
  spread over the three customers with the most events and placed inside the data (or covering all of it when
  the shape is longer than the data); timed requests cycle through them.
- **Ours.** The Lambda's router (\`createRouter\` from \`lambda/routes.ts\`) over the DynamoDB counter store,
  called in-process; and the same handler behind the local HTTP server (\`local/serve.ts\`, a separate process),
  called over one kept-alive HTTP connection. DynamoDB is DynamoDB Local (in memory) on the same machine.
- **Baselines.** DuckDB (\`@duckdb/node-api\`, default settings) with the raw events loaded once into an
  in-memory table in file order (the usual design of peer solutions; the issue's baseline); the same events
  copied sorted by customer and time (a tuned peer: DuckDB's per-row-group min/max then skips most of the
  table); and DuckDB scanning the CSV for every query. Each answers with one \`GROUP BY\` hour query and
  builds the same JSON body (zero-filled, clipped buckets) as the API.
- **Cross-check.** Before anything is timed, every distinct request is answered by every engine and the
  buckets and totals must be identical; the run stops at the first difference. During timing each answer's
  total is checked again. The load section compares the loader's per-customer hourly counts with DuckDB's.
- **Latency.** Sequential requests; p50/p95/p99 by nearest rank. Before the timings, DynamoDB Local (a JVM)
  gets mixed requests through our handler so its JIT has settled: ${results.settings.jitWarmupSeconds.first} s
  before the first data set, ${results.settings.jitWarmupSeconds.later} s before each later one. Client,
  server, DynamoDB Local and DuckDB share the machine's cores, and other work on a shared machine shows up
  in p95/p99 (the load average is recorded).`;

/** Renders docs/benchmarks.md from a run's results. */
export function renderReport(results: BenchResults, resultsFile: string): string {
  const m = results.machine;
  return [
    '# Benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/report.ts); edit the generator, not this file. -->',
    '',
    `Produced by \`${results.command}\` on ${results.startedAt.slice(0, 10)} in ` +
      `${Math.floor(results.durationSeconds / 60)} min ${Math.round(results.durationSeconds % 60)} s; ` +
      `raw numbers in [\`${resultsFile}\`](../${resultsFile}).`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB RAM, ${m.os}; Node ${m.node}; ${m.java}; ` +
      `DuckDB ${m.duckdb} (${m.duckdbThreads} threads). Load average ${m.loadAverageStart.toFixed(2)} at the start, ` +
      `${m.loadAverageEnd.toFixed(2)} at the end.`,
    '',
    targetsSection(results),
    '',
    latencySection(results),
    '',
    costSection(results),
    '',
    loadSection(results),
    '',
    memorySection(results),
    '',
    writeCostSection(results),
    '',
    coldStartSection(results),
    '',
    profileSection(results),
    '',
    datasetsSection(results),
    '',
    method(results),
    '',
  ]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}
