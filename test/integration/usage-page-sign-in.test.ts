import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { createHandler } from '../../lambda/create-handler';
import { PUBLIC_ROUTE_KEYS } from '../../lambda/page-sign-in';
import { loadEvents } from '../../loader/load-events';
import { createJwtAuthorizer } from '../../local/jwt-auth';
import { localLambdaContext } from '../../local/lambda-context';
import { createLocalServer } from '../../local/server';
import { launchChromium, watchPageProblems } from '../support/chromium';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { startTestIssuer, type TestIssuer } from '../support/test-issuer';

/*
 * The usage page as `-c auth=jwt` deploys it, against a local server that enforces what the HTTP
 * API's JWT authorizer enforces (local/jwt-auth.ts) and an in-process OIDC issuer: the page loads
 * without a token, signs in with authorization code + PKCE, sends the access token as a bearer
 * token, and asks to sign in again when the token expires or the API refuses it.
 */

const SESSION_KEY = 'event-counts.session';
const SCREENSHOT = 'test/artifacts/usage-page-signed-in.png';
const CSV = [
  'c1,INGEST,t1,2021-03-01 04:10:00+00',
  'c2,INGEST,t2,2021-03-01 04:20:00+00',
  'c2,INGEST,t3,2021-03-01 05:30:00+00',
  'c2,INGEST,t4,2021-03-02 05:50:00+00',
].join('\n');

describe('the usage page with sign-in (auth=jwt) in headless Chromium', () => {
  let issuer: TestIssuer;
  let table: TestTable;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const rejections: string[] = [];
  /** The Authorization header of every API request the page made (undefined: none sent). */
  const apiAuthorizations: (string | undefined)[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    issuer = await startTestIssuer();
    table = await createTestTable('usage-page-sign-in');
    await loadEvents({ store: table.store, input: Readable.from([CSV]), source: 'fixture.csv' });
    const handler = createHandler({
      store: table.store,
      logger: () => {},
      pageSignIn: {
        clientId: issuer.clientId,
        authorizeUrl: issuer.authorizeUrl,
        tokenUrl: issuer.tokenUrl,
        scopes: ['openid'],
      },
    });
    server = createLocalServer((event, requestId) => handler(event, localLambdaContext(requestId)), {
      authorize: createJwtAuthorizer({
        issuer: issuer.issuer,
        audience: [issuer.clientId],
        publicRouteKeys: PUBLIC_ROUTE_KEYS,
        onReject: (reason) => rejections.push(reason),
      }),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer.allowRedirectUri(`${base}/`);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('request', (request) => {
      if (request.url().startsWith(`${base}/v1/`)) apiAuthorizations.push(request.headers().authorization);
    });
    // The refused requests of the 401 test are logged by the browser, as intended.
    watchPageProblems(page, problems, 401);
  });

  afterAll(async () => {
    await browser?.close();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
    await table?.drop();
    await issuer?.close();
  });

  const accountStatus = () => page.locator('#account-status').textContent();

  /** The session the page keeps in the tab's storage (the test's tsconfig has no DOM types, so a string). */
  const storedSession = () => page.evaluate(`sessionStorage.getItem('${SESSION_KEY}')`);

  /** Rewrites the stored session, as the tab would find it after a reload. */
  async function editStoredSession(edit: string): Promise<void> {
    await page.evaluate(
      `(() => { const s = JSON.parse(sessionStorage.getItem('${SESSION_KEY}')); ${edit}; ` +
        `sessionStorage.setItem('${SESSION_KEY}', JSON.stringify(s)); })()`,
    );
  }

  /** Clicks "Sign in" and waits until the page is back from the issuer with the customers listed. */
  async function signIn(): Promise<void> {
    await page.click('#sign-in');
    await page.waitForSelector('body[data-signed-in="true"][data-ready="true"]');
  }

  it('serves the page and its OpenAPI document without a token, and nothing else', async () => {
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/openapi.json`)).status).toBe(200);

    const refused = await fetch(`${base}/v1/customers`);

    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ message: 'Unauthorized' });
    const allowed = await fetch(`${base}/v1/customers`, {
      headers: { authorization: `Bearer ${issuer.accessToken()}` },
    });
    expect(allowed.status).toBe(200);
  });

  it('asks a signed-out visitor to sign in, without calling the API', async () => {
    await page.goto(`${base}/?customer=c2&window_size=day`);
    await page.waitForSelector('body[data-signed-in="false"]');

    expect(await accountStatus()).toBe('Sign in to see the event counts.');
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    expect(await page.locator('#show').isDisabled()).toBe(true);
    expect(apiAuthorizations).toEqual([]);
  });

  it('signs in with authorization code and PKCE, then calls the API with the bearer token', async () => {
    await signIn();

    expect(issuer.tokensIssued).toBe(1);
    // The code and state are gone from the address; the page's own query is back.
    expect(page.url()).toBe(`${base}/?customer=c2&window_size=day`);
    expect(await accountStatus()).toBe('Signed in as test-user');
    const options = await page
      .locator('#customer option')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('value')));
    expect(options).toEqual(['c1', 'c2']);
    await page.waitForSelector('#total');
    expect(await page.locator('#total').getAttribute('data-total')).toBe('3');
    expect(await page.locator('svg rect.bar').count()).toBe(2);
    expect(apiAuthorizations.length).toBeGreaterThanOrEqual(2);
    expect(apiAuthorizations.every((header) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(header ?? ''))).toBe(
      true,
    );
    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
  });

  it('keeps the session when the tab reloads', async () => {
    await page.reload();
    await page.waitForSelector('body[data-signed-in="true"][data-ready="true"]');

    expect(issuer.tokensIssued).toBe(1);
  });

  it('asks to sign in again when the API refuses the token, and works again after signing in', async () => {
    // A token the API refuses though the page thinks it fresh: its signature no longer matches.
    await editStoredSession("s.accessToken = s.accessToken.replace(/.{4}$/, 'AAAA')");

    await page.reload();
    await page.waitForSelector('body[data-signed-in="false"]');

    expect(await accountStatus()).toBe(
      'Your session has ended (the API no longer accepts its token). Sign in again.',
    );
    expect(await page.locator('#result').isHidden()).toBe(true);
    expect(rejections.at(-1)).toBe('the token signature does not verify');
    await signIn();
    expect(issuer.tokensIssued).toBe(2);
    await page.waitForSelector('#total');
    expect(await page.locator('#total').getAttribute('data-total')).toBe('3');
  });

  it('asks to sign in again, without calling the API, once the token has expired', async () => {
    await editStoredSession('s.expiresAt = Date.now() - 1000');
    const callsBefore = apiAuthorizations.length;

    await page.reload();
    await page.waitForSelector('body[data-signed-in="false"]');

    expect(await accountStatus()).toBe('Your session has expired. Sign in again.');
    expect(apiAuthorizations).toHaveLength(callsBefore);
    expect(await storedSession()).toBeNull();
  });

  it('refuses a sign-in answer it did not start, without exchanging the code', async () => {
    await page.goto(`${base}/?code=forged-code&state=forged-state`);
    await page.waitForSelector('body[data-signed-in="false"]');

    expect(await accountStatus()).toContain('Sign-in did not complete');
    expect(page.url()).toBe(`${base}/`);
    expect(issuer.tokensIssued).toBe(2);
  });

  it('shows the error the sign-in service sent back', async () => {
    await page.goto(`${base}/?error=access_denied&error_description=User+is+disabled&state=x`);
    await page.waitForSelector('body[data-signed-in="false"]');

    expect(await accountStatus()).toBe('Sign-in failed: User is disabled. Try again.');
  });

  it('signs out: forgets the token, also after a reload', async () => {
    await signIn();

    await page.click('#sign-out');

    expect(await accountStatus()).toBe('Signed out.');
    expect(await storedSession()).toBeNull();
    await page.reload();
    await page.waitForSelector('body[data-signed-in="false"]');
    expect(await page.locator('#show').isDisabled()).toBe(true);
  });

  it('ran without script errors or content security policy violations', () => {
    expect(problems).toEqual([]);
  });
});
