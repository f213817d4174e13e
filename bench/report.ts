import { endToEndVsDuckDb } from './load-bench';
import { LOADER_NODE_ARGS } from './processes';
import { ENGINE_LABELS, type EngineId } from './query-bench';
import type { QueryProfile } from './query-profile';
import { QUERY_SHAPES } from './query-shapes';
import { type BenchResults, p50, SECTION_LABELS, type TargetId } from './results';

/** One line on a request profile of this run: Node's share of the wall time and its top functions. */
function profileLine(profile: QueryProfile | undefined): string {
  if (profile === undefined) return '';
  const top = profile.hotSpots
    .slice(0, 4)
    .map((spot) => `\`${spot.function}\` ${spot.share}%`)
    .join(', ');
  return (
    `The CPU profile of ${profile.requests} such requests (below) has this process busy ` +
    `${Math.round((profile.busyMs / profile.wallMs) * 100)}% of the wall time, led by ${top}; the rest is ` +
    'waiting for DynamoDB Local. '
  );
}

const profileOf = (results: BenchResults, id: string) => results.queryProfiles.find((p) => p.id === id);

const HOT_HOUR_NOTE = (results: BenchResults) => {
  const hot = results.hotHours;
  if (hot === null) return '';
  const unitsRatio = hot.hot.readUnitsPerRequest / Math.max(hot.quiet.readUnitsPerRequest, 0.5);
  return (
    `Missed by ${(hot.hot.p50Ms / hot.quiet.p50Ms / 2).toFixed(1)}× (the hot p50 would have to fall to ` +
    `${(2 * hot.quiet.p50Ms).toFixed(2)} ms). A hot-hour request read ${hot.hot.indexItemsPerRequest} items besides ` +
    `the counters and ${hot.hot.readUnitsPerRequest} read units in ${hot.hot.queryCallsPerRequest} Query calls; a ` +
    `quiet-hour request ${hot.quiet.indexItemsPerRequest} items and ${hot.quiet.readUnitsPerRequest} units in ` +
    `${hot.quiet.queryCallsPerRequest} calls (${unitsRatio.toFixed(0)}× the read units). ` +
    profileLine(hot.profile) +
    'An edge reads the hour\u2019s `W` items (one a write: the offsets of a write of up to 8,192 events, the ' +
    '120-byte minute histogram of a larger one) and the parts of the minute it cuts, so its reads follow the ' +
    'number of writes to the hour and the cut minute\u2019s events, not the hour\u2019s. To close a remaining ' +
    'gap: fewer, larger writes to a hot hour (fewer `W` items), smaller parts in hot minutes, or decoding only ' +
    'the offsets around the cut.'
  );
};

/**
 * Why a target is missed and what would move it, shown next to the target while it stays missed.
 * Written from the profiles and measurements of the runs that found the miss; some quote this run.
 */
const MISSED_TARGET_NOTES: Record<TargetId, (results: BenchResults) => string> = {
  'hot-hour-edge': HOT_HOUR_NOTE,
  'hot-hour-storage': (results) =>
    `Stored per event: ${(results.hotHours?.storage.kinds ?? [])
      .map((kind) => `${kind.kind}# items ${kind.bytesPerEvent.toFixed(2)} bytes`)
      .join(
        ', ',
      )}. Over the budget means an item kind per event grew: fewer, larger parts (DynamoDB adds 100 ` +
    'bytes an item), or offsets packed narrower (a minute needs 16 bits, not 32).',
  'load-end-to-end-vs-duckdb': (results) => {
    const load = results.load.find((l) => l.dataset === results.settings.plan.fewHours);
    const run = load?.endToEnd?.runs[0];
    const parse = load === undefined ? undefined : load.rows / load.parseOnly.rowsPerSecond;
    return (
      (run === undefined || parse === undefined
        ? ''
        : `Of a ${run.secondsToSummary.toFixed(1)} s run, ${run.startupSeconds.toFixed(1)} s pass before the first ` +
          `row is read (Node, the bundled CLI, the AWS SDK, the table check), and the parse-only path alone takes ` +
          `${parse.toFixed(1)} s of the ${run.loadSeconds.toFixed(1)} s load: writing the counters, time index and ` +
          '12-byte digests of every event into DynamoDB Local takes the rest. ') +
      'The file is larger than the loader\u2019s buffer, so its rows are spilled by customer-hour and the hours are ' +
      'written once the whole file is read (an unsorted file completes no hour before its end): the load is the ' +
      'parse plus the writes, not the longer of the two. The loader already parses from bytes and starts from an ' +
      'esbuild bundle. To close it: the parse-only levers below, and fewer bytes written per event (the digests ' +
      'are 12 of the 14 to 16 bytes stored per event, a floor of the exactly-once design that DuckDB does not pay).'
    );
  },
  'long-range-vs-duckdb-sorted': (results) => {
    const cost = results.cost.find(
      (c) => c.dataset === results.settings.plan.longRanges && c.shape === '366d',
    );
    return (
      (cost === undefined
        ? ''
        : `A 366-day request reads ${cost.counterItemsPerRequest} counter items in ${cost.queryCallsPerRequest} ` +
          `Query calls (${cost.readCapacityUnitsPerRequest} read units), projected to the sort key and count; ` +
          'the hours come from the keys without a date parse per item and the body of 8,784 buckets is written ' +
          'as one string. ') +
      profileLine(profileOf(results, `${results.settings.plan.longRanges}-366d`)) +
      'DuckDB reads the sorted customer\u2019s row groups in memory. What is left is DynamoDB Local paging ' +
      'through the counters and the SDK turning them into objects. To close it: decode the raw attribute values ' +
      'without the document client (about 0.3 ms a request by hand), or read the range as parallel time segments ' +
      '(no gain measured by hand on DynamoDB Local).'
    );
  },
  'bench-duration': (results) =>
    `Sections: ${results.sections.map((t) => `${t.id} ${Math.round(t.seconds)} s`).join(', ')}. The loads into ` +
    'DynamoDB Local and the 10M-row parse-only run take most of it; fewer timed requests or a faster loader close it.',
  'query-growth': (results) => {
    const costOf = (id: string) =>
      results.cost.find((c) => c.dataset === id && c.shape === '72h-partial')?.readCapacityUnitsPerRequest;
    const { small, longRanges } = results.settings.plan;
    return (
      `A 72-hour request reads ${costOf(longRanges) ?? '\u2013'} read units at ${longRanges} against ` +
      `${costOf(small) ?? '\u2013'} at ${small} with the edge cache off (cost table): an edge reads its hour\u2019s ` +
      '`W` items and the cut minute, so the larger set\u2019s busier hours add little. The latency series run ' +
      'with the cache on, where after the warm-up requests each answer is one Query of the range\u2019s counters at ' +
      'both sizes: what differs is DynamoDB Local answering from a partition of millions of events against one of ' +
      'thousands, at about a millisecond a request, where the noise of a shared machine is of the same order. ' +
      'Lever: none in what the service reads; compare runs on a quiet machine.'
    );
  },
  'query-vs-csv-scan': (results) =>
    profileLine(profileOf(results, `${results.settings.plan.small}-72h-partial`)) +
    'DuckDB scans the 15 MB of data/events.csv in tens of milliseconds, while a 72-hour answer costs a counter ' +
    'Query plus, for an edge hour not in the container\u2019s edge cache, one index read per partial edge (issued ' +
    'concurrently): each an HTTP round trip to DynamoDB Local on the same two cores, with the AWS SDK\u2019s ' +
    'serialization and signing, then the JSON body. On larger files the ratio grows with the file (the scan is ' +
    'linear, the query is not). Levers: a larger edge cache (more of the requests\u2019 edge hours hit), and a ' +
    'leaner counter Query (raw attribute decoding) for the part every request pays.',
  'query-vs-duckdb-memory': () =>
    'DuckDB answers from memory inside the process; ours makes a counter Query and, for an edge hour not cached in ' +
    'the container, an index read per partial edge, each an HTTP round trip to DynamoDB Local on the same cores. ' +
    'Lever: a larger edge cache, which leaves one Query per answer.',
  'loader-throughput': (results) => {
    const profile = results.loaderProfile;
    const top = profile?.hotSpots
      .slice(0, 6)
      .map((h) => `\`${h.function}\` (${h.location}) ${h.share}%`)
      .join(', ');
    return (
      `DuckDB parses the CSV natively on ${results.machine.duckdbThreads} threads; the loader ran with ` +
      `\`${JSON.stringify(results.settings.loaderOptions)}\` (bench/processes.ts \`LOADER_OPTIONS\`, the CLI\u2019s ` +
      'default): on this 2-core machine a parsing thread did not raise the rate (by hand on the 10M-row file, ' +
      '10.8 s with one against 10.3 s without), because the main thread\u2019s share bounds it: finding each ' +
      'row\u2019s customer by its bytes, bucketing and spilling each event, reading it back, sorting each ' +
      'hour\u2019s digests and planning the writes. ' +
      (profile === null
        ? ''
        : `The CPU profile of its parse-only path on ${profile.dataset} (below; the main thread) is led by ${top}. `) +
      'What would close it: the per-event work behind the parse done in the parsing threads too (each groups ' +
      'its piece\u2019s events by customer-hour and sorts their digests, so the main thread merges sorted runs ' +
      'instead of touching every event, and more cores help), a check of the previous row\u2019s customer ' +
      'before the byte-table lookup, and fewer passes over each event (today: parsed, spilled, read back, ' +
      'grouped, sorted).'
    );
  },
  'loader-memory-growth': () =>
    'The loader\u2019s live memory is bounded by design, not by the file: the event buffer (about 70 bytes an ' +
    'event), one window of 512 customer-hours read, planned and committed at a time (per hour write a counter, ' +
    'time index and digest fragments, each an object with key strings and packed copies of its offsets and ' +
    'digests), and one 1 MB page of an hour\u2019s digests at a time; and it runs in a 256 MB V8 heap ' +
    '(`--max-old-space-size=256`, as `npm run load` starts it) so that V8 collects the garbage of earlier windows ' +
    'and buffer writes instead of growing the heap with it. Before the window and the cap, a buffer write planned ' +
    'all its customer-hours at once (about 45,000 a buffer write on these files) and the 2m file peaked at 2.13× ' +
    'the 200k one. A peak that grows again means something outside these bounds holds memory: take a heap sampling ' +
    'profile of the larger file at its peak. Levers: a smaller window (`WINDOW_HOURS` in loader/write-events.ts) ' +
    'or default buffer; fewer objects per hour write.',
  'loader-memory-10m': () =>
    'Same bounds as the growth target (the buffer, a window of 512 hours, one page of digests, a 256 MB heap), none ' +
    'of which grows with the file: a peak over 512 MB means memory held outside them, found with a heap sampling ' +
    'profile of the parse-only path at its peak. Same levers as the growth target.',
  'load-end-to-end': (results) => {
    const load = results.load.find((l) => l.dataset === results.settings.plan.small)?.endToEnd;
    const runs = load?.runs ?? [];
    return (
      (runs.length === 0
        ? ''
        : `The runs took ${runs.map((run) => run.secondsToSummary.toFixed(2)).join(', ')} s, of which ` +
          `${runs.map((run) => run.startupSeconds.toFixed(2)).join(', ')} s passed before the first row was read ` +
          `(\`${load?.command}\`: Node, module loading, the table check). `) +
      'Unlike the ratios, this target is in seconds, so other work on a shared machine does not cancel out (see ' +
      'the load average above). Levers: less startup (a bundle, fewer modules loaded before the first row), and ' +
      'the loader\u2019s own time, as for the few-hours file.'
    );
  },
  'bundle-size': () =>
    'The AWS SDK is most of the bundle (see the largest inputs). Next lever: leave `@aws-sdk/*` external and use ' +
    'the SDK of the Lambda runtime, at the price of an SDK version the tests did not run against.',
  'import-time': () =>
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
/** The query data sets, fewest stored events first. */
const bySize = (results: BenchResults) =>
  [...results.datasets].sort((a, b) => a.storedEvents - b.storedEvents);

/** A load's data set, saying so where only the queried customers' rows of it were loaded. */
function loadedLabel(results: BenchResults, id: string): string {
  const dataset = results.datasets.find((d) => d.id === id);
  return dataset !== undefined && dataset.table.customers < dataset.customers
    ? `${id} (its ${dataset.table.customers} queried customers)`
    : id;
}

const status = (met: boolean | null) => (met === null ? 'not measured' : met ? '**met**' : '**missed**');

function targetsSection(results: BenchResults): string {
  const notes = results.targets
    .filter((target) => target.met === false)
    .map((target) => `- **${target.target}** — ${MISSED_TARGET_NOTES[target.id](results)}`);
  return [
    '## Targets',
    '',
    'Each target is a ratio within this one run, so the machine cancels out, except the absolute ones: the ' +
      'bytes stored per event, the peak RSS on 10M rows, the end-to-end load time of data/events.csv, the bundle ' +
      'size, the import time and the duration of the run itself.',
    '',
    table(
      ['target', 'measured', 'status'],
      results.targets.map((t) => [
        t.target,
        t.measured,
        t.missedBy === null ? status(t.met) : `${status(t.met)}, ${t.missedBy.toFixed(2)}× off`,
      ]),
    ),
    ...(notes.length > 0 ? ['', 'Missed targets, why, and the next lever:', '', ...notes] : []),
  ].join('\n');
}

function sectionsSection(results: BenchResults): string {
  return [
    '## Sections and their wall-clock time',
    '',
    table(
      ['section', 'what it measures', 'seconds'],
      [
        ...results.sections.map((t) => [t.id, SECTION_LABELS[t.id], t.seconds.toFixed(1)]),
        [
          'whole run',
          'including starting DynamoDB Local and writing the results',
          int(results.durationSeconds),
        ],
      ],
    ),
  ].join('\n');
}

function hotHoursSection(results: BenchResults): string {
  const hot = results.hotHours;
  if (hot === null) return '## Hot hours\n\nNot measured in this run.';
  const row = (label: string, s: typeof hot.hot) => [
    label,
    s.hour.slice(0, 13).replace('T', ' '),
    int(s.events),
    s.distinctRequests,
    ms(s.p50Ms),
    ms(s.p95Ms),
    ms(s.p99Ms),
    s.queryCallsPerRequest,
    s.indexItemsPerRequest,
    s.readUnitsPerRequest,
  ];
  const load = results.writeCost.datasets.find((w) => w.dataset === hot.id);
  return [
    '## Hot hours',
    '',
    `One customer (\`${hot.customerId}\`) with ${int(hot.hot.events)} events in one clock hour and ` +
      `${int(hot.quiet.events)} in another (\`${hot.file}\`, ${(hot.bytes / 1e6).toFixed(1)} MB, generated by ` +
      '`bench/hot-hours.ts`: uniform times within each hour, unique transaction ids), loaded by the loader into a ' +
      `fresh table${load === undefined ? '' : ` in ${load.seconds.toFixed(1)} s`}. Each request has exactly one ` +
      'partial edge, in the measured hour, cut at a distinct millisecond (half start at the cut and end an hour ' +
      'after the hour, half start an hour before it and end at the cut). Every request was answered by DuckDB too ' +
      `and the answers compared (${int(hot.crossCheckedRequests)} requests) before timing. The handler runs in ` +
      `process with the edge cache off (\`edgeCacheBytes: ${hot.edgeCacheBytes}\`), so every request reads its ` +
      `edge; the two series alternate request by request after ${hot.warmup} untimed pairs. Read units: ` +
      '`ReturnConsumedCapacity: TOTAL` over the first requests of each series.',
    '',
    table(
      [
        'hour',
        'starts',
        'events',
        'requests',
        'p50',
        'p95',
        'p99',
        'Query calls',
        'items besides counters',
        'RCUs',
      ],
      [row('hot', hot.hot), row('quiet', hot.quiet)],
    ),
    '',
    `Hot over quiet p50: **${(hot.hot.p50Ms / hot.quiet.p50Ms).toFixed(2)}×**.`,
    '',
    '![Hot hour against quiet hour: p50 and read units of a partial-edge request](benchmarks/hot-hours.svg)',
    '',
    `What the customer\u2019s partition stores after the load, per event (${int(hot.storage.events)} events; ` +
      'bytes by DynamoDB\u2019s item size rules plus 100 bytes of overhead an item):',
    '',
    table(
      ['items (sort key prefix)', 'items', 'bytes', 'bytes / event'],
      [
        ...hot.storage.kinds.map((kind) => [
          `\`${kind.kind}#\``,
          int(kind.items),
          int(kind.bytes),
          kind.bytesPerEvent.toFixed(2),
        ]),
        [
          'all',
          int(hot.storage.kinds.reduce((sum, k) => sum + k.items, 0)),
          '',
          hot.storage.totalBytesPerEvent.toFixed(2),
        ],
      ],
    ),
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
  const datasets = bySize(results);
  for (const dataset of datasets) {
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
      `### ${dataset.label}: ${int(dataset.storedEvents)} events (the table: ${dataset.table.description})`,
      '',
      table(['query', 'answered by', 'requests', 'p50', 'p95', 'p99'], rows),
    );
  }
  if (datasets.length > 1) {
    const ids = datasets.map((d) => d.id);
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

/** The metered loads into DynamoDB Local, as report lines. */
function intoDynamoDbPart(rows: (string | number)[][]): string[] {
  return [
    '',
    '*Into DynamoDB Local* is one load of each data set into a fresh table, in a process of its own ' +
      '(`bench/write-cost-child.ts`: `loadEvents` with its defaults over the DynamoDB store, with the client ' +
      'settings and heap of `npm run load`), metered for the write cost below; the hot-hour and query sections ' +
      'read its table. *Buffer ' +
      'writes* are the times the loader\u2019s buffer filled and was written; each is read, planned and committed ' +
      '512 customer-hours at a time.',
    '',
    table(
      ['data set', 'rows', 'load s', 'rows/s', 'buffer writes', 'transactions', 'items written', 'peak RSS'],
      rows,
    ),
  ];
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
    loadedLabel(results, w.dataset),
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
  const endToEndCommand = results.load.find((l) => l.endToEnd !== null)?.endToEnd?.command ?? 'npm run load';
  const versusDuckDb = results.load.flatMap((l) => {
    const ratio = endToEndVsDuckDb(l);
    if (ratio === null || l.endToEnd === null) return [];
    return [
      [
        l.dataset,
        int(l.rows),
        l.endToEnd.medianSecondsToSummary.toFixed(2),
        l.duckdb.medianProcessSeconds.toFixed(2),
        l.duckdb.seconds.toFixed(2),
        int(ratio.oursRowsPerSecond),
        int(ratio.duckdbRowsPerSecond),
        `1/${(1 / ratio.ratio).toFixed(1)}`,
      ],
    ];
  });
  return [
    '## Load',
    '',
    `*Parse-only* is the loader without I/O: \`loadEvents\` with its default buffer and the CLI\u2019s parsing-thread ` +
      `setting (\`${JSON.stringify(results.settings.loaderOptions)}\`, \`LOADER_OPTIONS\` in bench/processes.ts, as every load of the ` +
      'bench passes them) over a store that answers every ' +
      'hour \u201cnever written\u201d and writes nothing (`bench/load-child.ts`), so it reads, validates, buffers, ' +
      `deduplicates and plans every transaction; best of ${runs} fresh processes (${results.settings.plan.fewHours} and ${results.settings.plan.largest}: ` +
      `${results.settings.largeFileParseOnlyRuns}), in the V8 heap \`npm run load\` ` +
      `gives the loader (\`${LOADER_NODE_ARGS.join(' ')}\`). *DuckDB* computes the same ` +
      `per-customer hourly counts from the same file, best of ${runs} fresh processes ` +
      `(${results.machine.duckdbThreads} threads). Peak RSS is each process\u2019s own (\`VmHWM\`, bench/peak-rss.ts).`,
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
    ...(intoDynamoDb.length === 0 ? [] : intoDynamoDbPart(intoDynamoDb)),
    ...(endToEnd.length === 0
      ? []
      : [
          '',
          `*End to end* is \`${endToEndCommand} <file> --endpoint ... --json\`, what \`npm run load\` runs ` +
            `(package.json), into fresh tables of DynamoDB Local, from process start to its summary ` +
            `(${results.settings.plan.small} and ${results.settings.plan.fewHours}). ` +
            '*Startup* is everything before the load begins (Node, module loading, the table check); *load* is ' +
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
          '',
          '*Against DuckDB*: rows over the median seconds of the end-to-end runs above, against rows over the ' +
            'median seconds of a fresh Node process that opens DuckDB, computes the same per-customer hourly counts ' +
            'from the same file and prints them (`bench/load-child.ts duckdb-aggregate`), both timed by the bench ' +
            'from spawn; DuckDB\u2019s in-process time of the query alone is shown for reference.',
          '',
          table(
            [
              'data set',
              'rows',
              'ours end to end s',
              'DuckDB process s',
              'DuckDB query alone s',
              'ours rows/s',
              'DuckDB rows/s',
              'ours / DuckDB',
            ],
            versusDuckDb,
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
      `loader\u2019s modules peaks at ${mb(memory.baselineRssMb)} (Node and tsx). The ${results.settings.plan.largest} ` +
      'point is the parse-only run of the load table above.',
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
        loadedLabel(results, w.dataset),
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
        loadedLabel(results, w.dataset),
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

function queryProfilesSection(results: BenchResults): string {
  if (results.queryProfiles.length === 0) return '';
  return [
    '## Where a request spends its time',
    '',
    'V8 CPU profiles (inspector, 250 µs sampling) of the bench\u2019s own process while it runs a series of ' +
      'requests through the handler once more, after the timings: the handler, the AWS SDK and the JSON body run ' +
      'here, DynamoDB Local is another process, so the wall time no function accounts for is spent waiting for ' +
      'it. Shares are of the wall time.',
    ...results.queryProfiles.flatMap((profile) => [
      '',
      `### ${profile.label}: ${profile.requests} requests, ${int(profile.wallMs)} ms, this process busy ` +
        `${Math.round((profile.busyMs / profile.wallMs) * 100)}%`,
      '',
      table(
        ['function', 'where', 'self ms', 'share of wall time'],
        profile.hotSpots.map((h) => [`\`${h.function}\``, `\`${h.location}\``, int(h.selfMs), `${h.share}%`]),
      ),
    ]),
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
        'rows in the table the queries read',
      ],
      bySize(results).map((d) => [
        d.id,
        `\`${d.file}\``,
        int(d.rows),
        `${(d.bytes / 1e6).toFixed(1)} MB`,
        int(d.storedEvents),
        d.customers,
        int(d.queriedCustomerEventsPerHour),
        `${d.firstEventAt.slice(0, 16)} to ${d.lastEventAt.slice(0, 16)}`,
        `${int(d.table.rows)} (${d.table.customers} customers)`,
      ]),
    ),
    ...(results.datasets.some((d) => d.table.customers < d.customers)
      ? [
          '',
          'Where the table holds fewer customers than the file, it holds the rows of the three customers every ' +
            'query plan asks about, copied byte for byte from the file and loaded by the loader. A range query reads ' +
            'nothing but its customer\u2019s partition: the counters of its hours, which hold the same counts ' +
            'whatever else the file holds (all a 366-day request on day boundaries reads), and for a partial edge ' +
            'that hour\u2019s time index, which the loader builds from the customer-hour\u2019s own events (it ' +
            'groups rows by customer and hour before writing, whatever the other customers\u2019 rows). So every ' +
            'request reads the same items as on a table of the whole file. ' +
            'Loading the whole 10M-row file does not fit the run: its 108,000 customer-hours (50 customers, 90 days) ' +
            'cost DynamoDB Local a few milliseconds each: the 1M-row file with the same customer-hours took 273 s ' +
            'to load on this machine with the single-threaded loader and 178 s with parsing threads (by hand on ' +
            '2026-12-02, other work sharing the cores), against under a minute for the queried customers\u2019 rows. ' +
            'DuckDB holds all rows of the file.',
        ]
      : []),
  ].join('\n');
}

const method = (results: BenchResults) => `## Method

- **Questions.** Five shapes: one whole clock hour; 3 hours with both edges partial; 72 hours with partial
  edges; 30 days and 366 days on day boundaries. Each shape has a fixed set of distinct requests (seeded),
  spread over the three customers with the most events and placed inside the data (or covering all of it when
  the shape is longer than the data); timed requests cycle through them.
- **Ours.** The Lambda's handler (\`createHandler\` from \`lambda/create-handler.ts\`, its log lines dropped)
  over the DynamoDB counter store, called in-process; and the same handler behind the local HTTP server
  (\`local/serve.ts\`, a separate process), called over one kept-alive HTTP connection. The latency series run
  it as deployed, edge-hour cache on; the hot-hour series and the read units per query turn the cache off
  (\`edgeCacheBytes: 0\`, \`HANDLER_OPTIONS\` in \`bench/query-bench.ts\`) so that every request reads its edges.
  DynamoDB is DynamoDB Local (in memory) on the same machine.
- **Requests.** ${results.settings.requests} timed requests per shape and engine after ${results.settings.warmup}
  untimed ones at ${results.settings.plan.small}; ${results.settings.longRanges.requests} after
  ${results.settings.longRanges.warmup} at ${results.settings.plan.longRanges}, where the HTTP server and the CSV
  scan are left out (neither is a target there) and DuckDB in memory in file order, which scans every row per
  request, gets ${results.settings.longRanges.memoryScan.requests} after ${results.settings.longRanges.memoryScan.warmup}
  over ${results.settings.longRanges.memoryScan.variants} distinct requests.
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
    sectionsSection(results),
    '',
    hotHoursSection(results),
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
    queryProfilesSection(results),
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
