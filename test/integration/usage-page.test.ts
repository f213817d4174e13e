import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { createRouter } from '../../lambda/routes';
import { loadEvents } from '../../loader/load-events';
import { createLocalServer } from '../../local/server';
import { launchChromium, watchPageProblems } from '../support/chromium';
import { createTestTable, type TestTable } from '../support/dynamodb';

const DATA = 'data/events.csv';
const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const SCREENSHOT = 'test/artifacts/usage-page.png';

interface CountsBody {
  total: number;
  buckets: { starting_at: string; count: number }[];
}

describe('the usage page in headless Chromium', () => {
  let table: TestTable;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    table = await createTestTable('usage-page');
    await loadEvents({ store: table.store, input: createReadStream(DATA), source: DATA });
    server = createLocalServer(createRouter(table.store));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 980 } });
    // The error test asks for one 400 on purpose.
    watchPageProblems(page, problems, 400);
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
    await table?.drop();
  });

  async function api(query: string): Promise<CountsBody> {
    const response = await fetch(`${base}/v1/customers/${CUSTOMER}/event_counts?${query}`);
    return (await response.json()) as CountsBody;
  }

  /** Submits the form and waits until the page has drawn the answer of the event_counts call. */
  async function show(): Promise<void> {
    const answered = page.waitForResponse((response) => response.url().includes('/event_counts'));
    await page.click('#show');
    await answered;
    await page.waitForSelector('#show:not([disabled])');
  }

  it('lists every customer of /v1/customers to choose from', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('body[data-ready="true"]');

    const options = await page
      .locator('#customer option')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('value')));

    const listed = (await (await fetch(`${base}/v1/customers`)).json()) as {
      customers: { customer_id: string }[];
    };
    expect(options).toEqual(listed.customers.map((customer) => customer.customer_id));
    expect(options).toHaveLength(7);
  });

  it('draws one bar per bucket and the total of the API, partial edges marked', async () => {
    await page.selectOption('#customer', CUSTOMER);
    await page.fill('#starting-at', '2021-03-01T04:10:00Z');
    await page.fill('#ending-before', '2021-03-02T02:40:00Z');
    await page.selectOption('#window-size', 'hour');

    await show();

    const expected = await api('starting_at=2021-03-01T04:10:00Z&ending_before=2021-03-02T02:40:00Z');
    expect(expected.buckets).toHaveLength(23);
    expect(await page.locator('svg rect.bar').count()).toBe(expected.buckets.length);
    expect(await page.locator('svg rect.bar.partial').count()).toBe(2);
    expect(await page.locator('#total').getAttribute('data-total')).toBe(String(expected.total));
    const barCounts = await page
      .locator('svg rect.bar')
      .evaluateAll((bars) => bars.map((bar) => Number(bar.getAttribute('data-count'))));
    expect(barCounts).toEqual(expected.buckets.map((bucket) => bucket.count));
    expect(await page.locator('#buckets tbody tr').count()).toBe(expected.buckets.length);
    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('switches to UTC day buckets', async () => {
    await page.selectOption('#window-size', 'day');

    await show();

    const expected = await api(
      'starting_at=2021-03-01T04:10:00Z&ending_before=2021-03-02T02:40:00Z&window_size=day',
    );
    expect(await page.locator('svg rect.bar').count()).toBe(2);
    expect(await page.locator('svg rect.bar.partial').count()).toBe(2);
    expect(await page.locator('#total').getAttribute('data-total')).toBe(String(expected.total));
  });

  it('uses the whole history when the bounds are left empty', async () => {
    await page.fill('#starting-at', '');
    await page.fill('#ending-before', '');
    await page.selectOption('#window-size', 'none');

    await show();

    const expected = await api('window_size=none');
    expect(await page.locator('svg rect.bar').count()).toBe(1);
    expect(await page.locator('#total').getAttribute('data-total')).toBe(String(expected.total));
  });

  it('shows an API error in plain words and hides the stale chart', async () => {
    await page.fill('#starting-at', 'yesterday');

    await show();

    const message = await page.locator('#error').textContent();
    expect(message).toContain('The API did not accept the start');
    expect(message).toContain('"yesterday"');
    expect(await page.locator('#result').isHidden()).toBe(true);
  });

  it('ran without script errors or blocked resources', () => {
    expect(problems).toEqual([]);
  });
});
