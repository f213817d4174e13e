import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore, planChunks } from '../../core/counter-store';
import { createRouter } from '../../lambda/routes';
import { loadEvents, readEvents } from '../../loader/load-events';
import { apiEvent } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { type RawEvent, readRawEvents } from '../support/recount';
import { type SampleFile, writeSample } from '../support/sample';

const DATA = 'data/events.csv';

interface Customer {
  customer_id: string;
  first_event_at: string;
  last_event_at: string;
  total_events: number;
}

interface ListBody {
  customers: Customer[];
  next_page: string | null;
  error?: { code: string; parameter: string; message: string };
}

/** The directory a recount of `events` expects: per customer, sorted by id, by plain iteration. */
function expectedCustomers(events: readonly RawEvent[]): Customer[] {
  const seen: Record<string, { first: number; last: number; total: number }> = {};
  for (const { customer, time } of events) {
    const entry = seen[customer];
    if (entry === undefined) seen[customer] = { first: time, last: time, total: 1 };
    else {
      if (time < entry.first) entry.first = time;
      if (time > entry.last) entry.last = time;
      entry.total += 1;
    }
  }
  return Object.keys(seen)
    .sort()
    .map((id) => {
      const entry = seen[id] as { first: number; last: number; total: number };
      return {
        customer_id: id,
        first_event_at: new Date(entry.first).toISOString(),
        last_event_at: new Date(entry.last).toISOString(),
        total_events: entry.total,
      };
    });
}

function lister(table: TestTable) {
  const router = createRouter(table.store);
  return async (query: Record<string, string> = {}) => {
    const response = await router(apiEvent('/v1/customers', query), 'test-request');
    return { status: response.statusCode, body: JSON.parse(response.body ?? '') as ListBody };
  };
}

/** Every customer, following next_page. */
async function listAll(list: ReturnType<typeof lister>, limit: string): Promise<Customer[][]> {
  const pages: Customer[][] = [];
  let next: string | null = null;
  do {
    const { body }: { body: ListBody } = await list(next === null ? { limit } : { limit, next_page: next });
    pages.push(body.customers);
    next = body.next_page;
  } while (next !== null);
  return pages;
}

const EXTRA_CSV = [
  // An existing customer, earlier and later than anything in events.csv, and a new customer.
  'b4f9279a0196e40632e947dd1a88e857,INGEST,extra-1,2021-02-27 10:00:00.5+00',
  'b4f9279a0196e40632e947dd1a88e857,INGEST,extra-2,2021-03-05 12:00:00+00',
  'new-customer-1,INGEST,extra-3,2021-03-02 08:15:00.001+00',
  '',
].join('\n');

describe('the customer directory (GET /v1/customers)', () => {
  let events: RawEvent[];
  const tables: TestTable[] = [];

  beforeAll(() => {
    events = readRawEvents(DATA);
  });

  afterAll(() => Promise.all(tables.map((table) => table.drop())));

  async function loadedTable(prefix: string, file: string): Promise<TestTable> {
    const table = await createTestTable(prefix);
    tables.push(table);
    await loadEvents({ store: table.store, input: createReadStream(file), source: file });
    return table;
  }

  describe('after loading events.csv', () => {
    let table: TestTable;

    beforeAll(async () => {
      table = await loadedTable('customers', DATA);
    });

    it('lists every customer with first and last event and total events of a recount', async () => {
      const { status, body } = await lister(table)();

      expect(status).toBe(200);
      expect(body).toEqual({ customers: expectedCustomers(events), next_page: null });
    });

    it('pages through the customers with limit and next_page, each customer once, in order', async () => {
      const pages = await listAll(lister(table), '3');

      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(expectedCustomers(events));
    });

    it('gives no next_page when the last page is exactly full', async () => {
      const pages = await listAll(lister(table), '7');

      expect(pages.map((page) => page.length)).toEqual([7]);
    });

    it('reads the directory with Query only, never Scan', async () => {
      const client = createDynamoDbClient({ endpoint: table.endpoint });
      const commands: string[] = [];
      client.middlewareStack.add(
        (next, context) => (args) => {
          commands.push(String(context.commandName));
          return next(args);
        },
        { step: 'initialize' },
      );
      const store = createCounterStore({ client, tableName: table.tableName });

      await listAll(lister({ ...table, store }), '2');

      expect(commands).toHaveLength(4);
      expect(new Set(commands)).toEqual(new Set(['QueryCommand']));
      client.destroy();
    });

    it.each([
      ['limit', { limit: '0' }, /limit must be a whole number from 1 to 1000; received "0"/],
      ['limit', { limit: 'ten' }, /received "ten"/],
      ['next_page', { next_page: 'not-a-token' }, /next_page must be the next_page value/],
      ['sort', { sort: 'name' }, /unknown query parameter sort/],
    ])('refuses a bad %s (%o) with a 400 that names it', async (parameter, query, message) => {
      const { status, body } = await lister(table)(query);

      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'invalid_parameter', parameter });
      expect(body.error?.message).toMatch(message);
    });
  });

  describe('exactly once, on a sample of events.csv', () => {
    let file: SampleFile;
    let sample: string;
    let sampleEvents: RawEvent[];

    beforeAll(() => {
      file = writeSample(DATA);
      sample = file.path;
      sampleEvents = readRawEvents(sample);
    });

    afterAll(() => file.remove());

    it('leaves the directory unchanged when the same file is loaded again', async () => {
      const table = await loadedTable('customers-twice', sample);

      await loadEvents({ store: table.store, input: createReadStream(sample), source: sample });

      expect((await lister(table)()).body.customers).toEqual(expectedCustomers(sampleEvents));
    });

    it('counts the directory once when a load resumes after all its chunks were applied', async () => {
      const table = await createTestTable('customers-resume');
      tables.push(table);
      // A loader killed after its last transaction but before it recorded the load as done.
      const read = await readEvents(createReadStream(sample));
      for (const chunk of planChunks(read.loadId, read.hours)) await table.store.applyChunk(chunk);

      const resumed = await loadEvents({
        store: table.store,
        input: createReadStream(sample),
        source: sample,
      });

      expect(resumed.chunksApplied).toBe(0);
      expect((await lister(table)()).body.customers).toEqual(expectedCustomers(sampleEvents));
    });

    it('adds a second file: totals grow, first and last move, new customers appear', async () => {
      const table = await loadedTable('customers-two-files', sample);

      await loadEvents({ store: table.store, input: Readable.from([EXTRA_CSV]), source: 'extra' });

      const extra: RawEvent[] = [
        { customer: 'b4f9279a0196e40632e947dd1a88e857', time: Date.parse('2021-02-27T10:00:00.500Z') },
        { customer: 'b4f9279a0196e40632e947dd1a88e857', time: Date.parse('2021-03-05T12:00:00Z') },
        { customer: 'new-customer-1', time: Date.parse('2021-03-02T08:15:00.001Z') },
      ];
      expect((await lister(table)()).body.customers).toEqual(expectedCustomers([...sampleEvents, ...extra]));
    });
  });
});
