import type { Server } from 'node:http';
import { Readable } from 'node:stream';
import type { Browser } from 'playwright-core';
import { createHandler } from '../../lambda/create-handler';
import { loadEvents } from '../../loader/load-events';
import { localLambdaContext } from '../../local/lambda-context';
import { createLocalServer, listen } from '../../local/server';
import { launchChromium } from '../support/chromium';
import { createTestTable, type TestTable } from '../support/dynamodb';

const STAGE = 'prod';

/*
 * The usage page as API Gateway serves it from a named stage: every path starts with /prod, and the
 * event says `stage: prod`. The page must work at /prod and /prod/, calling /prod/v1/..., never /v1/.
 */
describe('the usage page under a named stage, in headless Chromium', () => {
  let table: TestTable;
  let server: Server;
  let base: string;
  let browser: Browser;
  const requested: string[] = [];

  beforeAll(async () => {
    table = await createTestTable('usage-page-stage');
    const csv = ['c1,INGEST,t1,2021-03-01 04:10:00+00', 'c2,INGEST,t2,2021-03-01 05:30:00+00'].join('\n');
    await loadEvents({ store: table.store, input: Readable.from([csv]), source: 'fixture.csv' });
    const handler = createHandler({ store: table.store, logger: () => {} });
    // API Gateway's part: only paths under the stage reach the function, which is told the stage.
    server = createLocalServer(async (event, requestId) => {
      requested.push(event.rawPath);
      if (event.rawPath !== `/${STAGE}` && !event.rawPath.startsWith(`/${STAGE}/`)) {
        return { statusCode: 404, body: '{"message":"Not Found"}' };
      }
      return handler(
        { ...event, requestContext: { ...event.requestContext, stage: STAGE } },
        localLambdaContext(requestId),
      );
    });
    await listen(server, 0);
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
    await table?.drop();
  });

  it.each([`/${STAGE}`, `/${STAGE}/`])(
    'lists the customers and draws the counts when opened at %s',
    async (path) => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      requested.length = 0;
      try {
        await page.goto(`${base}${path}`);
        await page.waitForSelector('body[data-ready="true"]');
        await page.waitForSelector('#total');

        expect(await page.locator('#customer option').count()).toBe(2);
        expect(new URL(page.url()).pathname).toBe(`/${STAGE}/`);
        expect(requested).toContain(`/${STAGE}/v1/customers`);
        expect(requested.filter((rawPath) => rawPath.startsWith('/v1/'))).toEqual([]);
        const openApi = await page
          .locator('a[href="openapi.json"]')
          .evaluate((link) => (link as { href: string }).href);
        expect(new URL(openApi).pathname).toBe(`/${STAGE}/openapi.json`);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    },
  );
});
