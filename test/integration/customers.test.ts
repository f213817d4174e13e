import { Readable } from 'node:stream';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore } from '../../core/counter-store';
import { DIRECTORY_SHARDS } from '../../core/keys';
import { createRouter } from '../../lambda/routes';
import { type LoadSummary, loadEvents } from '../../loader/load-events';
import { apiEvent } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { csvTimestamp, lf, shuffled, slice } from '../support/events';
import { type CountedEvent, type RawEvent, recountInputs } from '../support/recount';
import { sampleLines } from '../support/sample';

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

/** The directory a recount of several inputs loaded one after the other expects. */
const expectedAfter = (inputs: readonly string[]) => expectedCustomers(recountInputs(inputs).events);

function lister(table: Pick<TestTable, 'store'>) {
  const router = createRouter(table.store);
  return async (query: Record<string, string> = {}) => {
    const response = await router(apiEvent('/v1/customers', query), 'test-request');
    return { status: response.statusCode, body: JSON.parse(response.body ?? '') as ListBody };
  };
}

/** Every customer, following next_page. */
async function listAll(list: ReturnType<typeof lister>, limit?: string): Promise<Customer[][]> {
  const pages: Customer[][] = [];
  let next: string | null = null;
  do {
    const query: Record<string, string> = limit === undefined ? {} : { limit };
    if (next !== null) query.next_page = next;
    const { body }: { body: ListBody } = await list(query);
    pages.push(body.customers);
    next = body.next_page;
  } while (next !== null);
  return pages;
}

function load(table: TestTable, text: string): Promise<LoadSummary> {
  return loadEvents({ store: table.store, input: Readable.from([text]), source: 'test' });
}

const EXTRA = lf([
  // An existing customer, earlier and later than anything in the sample, and a new customer.
  'b4f9279a0196e40632e947dd1a88e857,INGEST,extra-1,2021-02-27 10:00:00.5+00',
  'b4f9279a0196e40632e947dd1a88e857,INGEST,extra-2,2021-03-05 12:00:00+00',
  'new-customer-1,INGEST,extra-3,2021-03-02 08:15:00.001+00',
]);

describe('the customer directory (GET /v1/customers)', () => {
  const sample = sampleLines();
  const tables: TestTable[] = [];

  const newTable = async (prefix: string) => {
    const table = await createTestTable(prefix);
    tables.push(table);
    return table;
  };

  afterAll(() => Promise.all(tables.map((table) => table.drop())));

  describe('after loading a sample of events.csv', () => {
    let table: TestTable;

    beforeAll(async () => {
      table = await newTable('customers');
      await load(table, lf(sample));
    });

    it('lists every customer with first and last event and total events of a recount', async () => {
      const { status, body } = await lister(table)();

      expect(status).toBe(200);
      expect(body).toEqual({ customers: expectedAfter([lf(sample)]), next_page: null });
      expect(body.customers).toHaveLength(7);
    });

    it('pages through the customers with limit and next_page, each customer once, in order', async () => {
      const pages = await listAll(lister(table), '3');

      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(expectedAfter([lf(sample)]));
    });

    it('gives no next_page when the last page is exactly full', async () => {
      const pages = await listAll(lister(table), '7');

      expect(pages.map((page) => page.length)).toEqual([7]);
    });

    it('reads the directory with one Query per shard and page, never Scan', async () => {
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

      const pages = await listAll(lister({ store }), '2');

      expect(pages).toHaveLength(4);
      expect(new Set(commands)).toEqual(new Set(['QueryCommand']));
      expect(commands).toHaveLength(DIRECTORY_SHARDS * pages.length);
      client.destroy();
    });

    it.each([
      ['limit', { limit: '0' }, /limit must be a whole number from 1 to 1000; received "0"/],
      ['limit', { limit: 'ten' }, /received "ten"/],
      ['next_page', { next_page: 'not-a-token' }, /next_page must be the next_page value/],
      ['sort', { sort: 'name' }, /unknown query parameter "sort"/],
    ])('refuses a bad %s (%o) with a 400 that names it', async (parameter, query, message) => {
      const { status, body } = await lister(table)(query);

      expect(status).toBe(400);
      expect(body.error).toMatchObject({ code: 'invalid_parameter', parameter });
      expect(body.error?.message).toMatch(message);
    });
  });

  describe('across loads', () => {
    const dayOne = sample.filter((line) => line.includes(',2021-03-01 '));
    const dayTwo = sample.filter((line) => line.includes(',2021-03-02 '));

    it('keeps totals exact when the same events are loaded again and in overlapping exports', async () => {
      const table = await newTable('customers-repeat');
      const inputs = [
        lf(dayOne),
        lf(shuffled(dayOne, 1)),
        lf(slice([...dayOne, ...dayTwo], 0, 0.6)),
        lf(slice([...dayOne, ...dayTwo], 0.4, 1)),
      ];

      for (const input of inputs) await load(table, input);

      const listed = (await lister(table)()).body.customers;
      expect(listed).toEqual(expectedAfter(inputs));
      expect(listed.reduce((sum, customer) => sum + customer.total_events, 0)).toBe(
        dayOne.length + dayTwo.length,
      );
    });

    it.each([
      ['in time order', ['day one', 'day two', 'extra']],
      ['latest first', ['extra', 'day two', 'day one']],
    ])('keeps first and last event at the min and max over every load, loaded %s', async (_order, names) => {
      const table = await newTable('customers-span');
      const files: Record<string, string> = { 'day one': lf(dayOne), 'day two': lf(dayTwo), extra: EXTRA };
      const inputs = names.map((name) => files[name] as string);

      for (const input of inputs) await load(table, input);
      // Events inside every customer's span, and a reuse of a counted id with a later time (a
      // conflict): neither may move a first or last event.
      const [counted] = recountInputs([lf(dayTwo)]).events;
      const { customer, eventType, transactionId, time } = counted as CountedEvent;
      const inside = lf([
        `${customer},${eventType},inside-1,2021-03-02 12:00:00+00`,
        `${customer},${eventType},${transactionId},${csvTimestamp(time - (time % 3_600_000) + 3_599_999)}`,
      ]);
      const summary = await load(table, inside);

      expect(summary).toMatchObject({ accepted: 1, conflicts: 1 });
      expect((await lister(table)()).body.customers).toEqual(expectedAfter([...inputs, inside]));
    });
  });

  describe('with many customers', () => {
    const MARCH_1 = Date.UTC(2021, 2, 1);
    // Ids of several shapes, some prefixes of others, so the merge of the shards' pages is tested.
    const ids = Array.from(
      { length: 200 },
      (_, i) => [`C${i}`, `c-${i.toString(36)}`, `${i}x`, `c.${i}:@`][i % 4],
    ) as string[];
    let table: TestTable;

    beforeAll(async () => {
      table = await newTable('customers-many');
      await load(
        table,
        lf(ids.map((id, i) => `${id},INGEST,only-${i},${csvTimestamp(MARCH_1 + i * 61_000 + i)}`)),
      );
    });

    it('spreads 200 customers over every directory shard', async () => {
      const client = createDynamoDbClient({ endpoint: table.endpoint });
      const scan = await client.send(
        new ScanCommand({
          TableName: table.tableName,
          FilterExpression: 'begins_with(pk, :directory)',
          ExpressionAttributeValues: { ':directory': { S: 'D#customers#' } },
        }),
      );
      client.destroy();

      expect(scan.Items).toHaveLength(200);
      expect(new Set(scan.Items?.map((item) => item.pk?.S)).size).toBe(DIRECTORY_SHARDS);
    });

    it.each([
      ['no limit (100 a page)', undefined, [100, 100]],
      ['limit 7', '7', [...Array(28).fill(7), 4]],
      ['limit 1000', '1000', [200]],
    ])('lists them in id order, each once, with %s', async (_name, limit, sizes) => {
      const pages = await listAll(lister(table), limit);

      expect(pages.map((page) => page.length)).toEqual(sizes);
      const listed = pages.flat();
      expect(listed.map((customer) => customer.customer_id)).toEqual([...ids].sort());
      expect(listed).toEqual(
        expectedCustomers(ids.map((customer, i) => ({ customer, time: MARCH_1 + i * 61_000 + i }))),
      );
    });
  });
});
