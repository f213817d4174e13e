// @ts-check
/*
 * The usage page's browser script. `usage-page.ts` serves it as `(${usagePageScript})()`, the text
 * of the function below, and hashes that text for the content security policy; so the function must
 * be self-contained: browser globals only, no binding of this file (the JSDoc types are erased).
 *
 * Why a CommonJS `.js` file checked by `tsconfig.browser.json`, and not TypeScript:
 * - DOM types stay out of the Node program. TypeScript has no per-file `lib`: a `.ts` file imported by
 *   `usage-page.ts` would be checked by `tsconfig.json` without the DOM, or need `/// <reference
 *   lib="dom" />`, which declares `document`, `name`, `location`... for every Node file too. The Node
 *   program sees only `usage-page-script.d.ts`; `tsconfig.browser.json` checks this file with the DOM
 *   and without Node's types.
 * - The function's text is what the browser runs, so no tool may rewrite it with helpers of its own.
 *   tsx compiles `.ts` with esbuild's keepNames, which puts `__name(...)` calls into every function
 *   (undefined in the browser); a CommonJS `.js` file is loaded as is by tsx and by jest, and the
 *   Lambda's esbuild bundle only minifies it (see test/unit/usage-page.test.ts).
 */

/**
 * @typedef {'hour' | 'day' | 'none'} WindowSize
 * @typedef {{ starting_at: string, ending_before: string, count: number }} Bucket
 * @typedef {{ customer_id: string, starting_at: string, ending_before: string, window_size: WindowSize,
 *   total: number, buckets: Bucket[] }} EventCountsBody
 * @typedef {{ customer_id: string, first_event_at: string, last_event_at: string, total_events: number }} Customer
 * @typedef {{ customers: Customer[], next_page: string | null }} CustomerPage
 * @typedef {{ code?: string, message?: string, parameter?: string, request_id?: string }} ApiError
 * @typedef {{ clientId: string, authorizeUrl: string, tokenUrl: string, scopes: string[], logoutUrl?: string }} SignInConfig
 * @typedef {{ accessToken: string, expiresAt: number }} Session
 * @typedef {{ state: string, verifier: string, redirectUri: string, returnTo: string }} PendingSignIn
 */

/** Runs the usage page: fills the customer list, then draws the counts the form asks for. */
function usagePageScript() {
  // The page is the root of the API, and calls it with relative URLs (v1/..., openapi.json). Served
  // at a stage or base path without its trailing slash (/prod), those would resolve against the
  // parent (/v1/...): give the address its slash first, so they resolve under /prod/.
  if (!location.pathname.endsWith('/')) {
    history.replaceState(null, '', `${location.pathname}/${location.search}${location.hash}`);
  }
  const HOUR_MS = 3600000;
  /** @type {Partial<Record<WindowSize, number>>} */
  const WINDOW_MS = { hour: HOUR_MS, day: 24 * HOUR_MS };
  /** @type {Partial<Record<WindowSize, string>>} */
  const WINDOW_ADJECTIVE = { hour: 'hourly', day: 'daily' };
  /** @type {Record<string, string | undefined>} */
  const PARAMETER_WORDS = {
    starting_at: 'the start',
    ending_before: 'the end',
    window_size: 'the window size',
    customer_id: 'the customer',
    limit: 'the page size',
    next_page: 'the page token',
  };
  const SVG_NS = 'http://www.w3.org/2000/svg';
  // Session storage keeps the token for this tab only (reloads included), never for other tabs or
  // after the tab closes; the page's content security policy admits no script but its own.
  const SESSION_KEY = 'event-counts.session';
  const PENDING_KEY = 'event-counts.sign-in';
  // A token this close to its expiry is not sent: the request could reach the API after it expired.
  const EXPIRY_MARGIN_MS = 30000;

  /** Thrown when the API needs a token the page does not have (any more): the person must sign in. */
  class SignInRequiredError extends Error {}

  /**
   * The page's element with this id, checked to be of the expected kind.
   * @template {HTMLElement} T
   * @param {string} id
   * @param {{ new (): T, prototype: T }} type
   * @returns {T}
   */
  function byId(id, type) {
    const node = document.getElementById(id);
    if (!(node instanceof type)) throw new Error(`the usage page has no ${type.name} with id "${id}"`);
    return node;
  }

  const form = byId('query', HTMLFormElement);
  const customerSelect = byId('customer', HTMLSelectElement);
  const startInput = byId('starting-at', HTMLInputElement);
  const endInput = byId('ending-before', HTMLInputElement);
  const windowSelect = byId('window-size', HTMLSelectElement);
  const submitButton = byId('show', HTMLButtonElement);
  const errorBox = byId('error', HTMLElement);
  const result = byId('result', HTMLElement);
  const numbers = new Intl.NumberFormat('en-US');
  const signIn = readSignInConfig();
  // The sign-in bar exists only on the page of an API that wants a token.
  const account =
    signIn === null
      ? null
      : {
          status: byId('account-status', HTMLElement),
          signIn: byId('sign-in', HTMLButtonElement),
          signOut: byId('sign-out', HTMLButtonElement),
        };
  /** @type {Session | null} */
  let session = signIn === null ? null : readSession();

  /**
   * @param {string} tag
   * @param {Record<string, string>} [attributes]
   * @param {string} [text]
   */
  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /**
   * @param {string} tag
   * @param {Record<string, string | number>} [attributes]
   * @param {string} [text]
   */
  function svgElement(tag, attributes, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /**
   * 2021-03-01T04:00:00.000Z -> 2021-03-01 04:00, keeping seconds and milliseconds only when set.
   * @param {string} iso
   */
  function formatTime(iso) {
    return iso
      .replace('T', ' ')
      .replace(/(:00)?\.000Z$/, '')
      .replace(/Z$/, '');
  }

  /**
   * The message of whatever a `catch` received.
   * @param {unknown} error
   */
  function messageOf(error) {
    return error instanceof Error ? error.message : String(error);
  }

  /**
   * What an API error means, in plain words.
   * @param {number} status
   * @param {{ error?: ApiError } | undefined} body
   */
  function describeError(status, body) {
    /** @type {ApiError} */
    const error = body?.error ? body.error : {};
    const message = error.message || 'no details';
    switch (error.code) {
      case 'invalid_parameter':
        return `The API did not accept ${PARAMETER_WORDS[error.parameter ?? ''] || error.parameter}: ${message}.`;
      case 'customer_not_found':
        return 'This customer has no events yet, so the range cannot start at its first event or end after its last one. Enter both a start and an end.';
      case 'service_unavailable':
        return 'The service is busy right now (DynamoDB is throttling or unavailable). Try again in a moment.';
      case 'internal_error':
        return `Something went wrong on the server. If it keeps happening, report request id ${error.request_id}.`;
      default:
        return `The API answered with HTTP ${status}: ${message}.`;
    }
  }

  /**
   * The JSON body of a GET of the API, as its OpenAPI description says (the page trusts its own API).
   * @template T
   * @param {string} path
   * @param {Record<string, string>} params
   * @returns {Promise<T>}
   */
  async function getJson(path, params) {
    const url = new URL(path, document.baseURI);
    for (const [name, value] of Object.entries(params)) if (value !== '') url.searchParams.set(name, value);
    /** @type {Record<string, string>} */
    const headers = { accept: 'application/json' };
    if (signIn !== null) headers.authorization = `Bearer ${currentToken()}`;
    let response;
    try {
      response = await fetch(url, { headers });
    } catch (error) {
      throw new Error(`Could not reach the API (${messageOf(error)}). Is the server still running?`);
    }
    if (signIn !== null && response.status === 401) {
      throw new SignInRequiredError(
        'Your session has ended (the API no longer accepts its token). Sign in again.',
      );
    }
    let body;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (!response.ok) throw new Error(describeError(response.status, body));
    return body;
  }

  /**
   * The sign-in settings the server put into the page, or null when its API needs no token.
   * @returns {SignInConfig | null}
   */
  function readSignInConfig() {
    const node = document.getElementById('sign-in-config');
    return node === null ? null : JSON.parse(node.textContent || 'null');
  }

  /**
   * A JSON value kept in this tab's session storage, or null when absent or unreadable.
   * @param {string} key
   * @returns {unknown}
   */
  function readStored(key) {
    try {
      return JSON.parse(sessionStorage.getItem(key) || 'null');
    } catch {
      return null;
    }
  }

  /** @returns {Session | null} */
  function readSession() {
    const stored = /** @type {Partial<Session> | null} */ (readStored(SESSION_KEY));
    if (stored === null || typeof stored.accessToken !== 'string' || typeof stored.expiresAt !== 'number') {
      return null;
    }
    return { accessToken: stored.accessToken, expiresAt: stored.expiresAt };
  }

  /** @param {Session} current */
  function isFresh(current) {
    return current.expiresAt - EXPIRY_MARGIN_MS > Date.now();
  }

  /** The access token to send; SignInRequiredError when there is none or it is about to expire. */
  function currentToken() {
    if (session === null) throw new SignInRequiredError('Sign in to see the event counts.');
    if (!isFresh(session)) throw new SignInRequiredError('Your session has expired. Sign in again.');
    return session.accessToken;
  }

  /** @param {Uint8Array} bytes */
  function base64Url(bytes) {
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  /**
   * Who a token names, for the sign-in bar. The page only reads the payload; the API verifies it.
   * @param {string} token
   */
  function displayName(token) {
    try {
      const payload = atob((token.split('.')[1] || '').replace(/-/g, '+').replace(/_/g, '/'));
      const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(payload, (c) => c.charCodeAt(0))));
      const name = claims.username || claims.email || claims.sub;
      return typeof name === 'string' ? name : '';
    } catch {
      return '';
    }
  }

  /** @param {Session} current */
  function showSignedIn(current) {
    if (account === null) return;
    const name = displayName(current.accessToken);
    account.status.textContent = name === '' ? 'Signed in' : `Signed in as ${name}`;
    account.signIn.hidden = true;
    account.signOut.hidden = false;
    document.body.dataset.signedIn = 'true';
  }

  /**
   * Forgets the token and asks the person to sign in, saying why.
   * @param {string} message
   */
  function showSignedOut(message) {
    session = null;
    sessionStorage.removeItem(SESSION_KEY);
    if (account === null) return;
    account.status.textContent = message;
    account.signIn.hidden = false;
    account.signOut.hidden = true;
    // Before any list was loaded the select says "loading…": say what it waits for instead.
    if (customerSelect.options.length <= 1 && customerSelect.value === '') {
      customerSelect.replaceChildren(element('option', { value: '' }, 'sign in first'));
    }
    customerSelect.disabled = true;
    submitButton.disabled = true;
    result.hidden = true;
    document.body.dataset.signedIn = 'false';
  }

  /**
   * Sends the browser to the sign-in page with a fresh PKCE verifier and state (RFC 7636), keeping
   * them and the page's own query in this tab until the sign-in page sends the browser back here.
   * @param {SignInConfig} config
   */
  async function beginSignIn(config) {
    const verifier = base64Url(crypto.getRandomValues(new Uint8Array(48)));
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    /** @type {PendingSignIn} */
    const pending = {
      state: base64Url(crypto.getRandomValues(new Uint8Array(24))),
      verifier,
      redirectUri: location.origin + location.pathname,
      returnTo: location.search,
    };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(config.authorizeUrl);
    const params = {
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: pending.redirectUri,
      scope: config.scopes.join(' '),
      state: pending.state,
      code_challenge: base64Url(new Uint8Array(digest)),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    location.assign(url.toString());
  }

  /**
   * Finishes a sign-in when the sign-in page sent the browser back (`?code=...&state=...` or
   * `?error=...`): checks the state, exchanges the code and the verifier for tokens and puts the
   * page's own query back. Resolves whether the page now holds a usable token.
   * @param {SignInConfig} config
   */
  async function completeSignIn(config) {
    const answer = new URLSearchParams(location.search);
    const code = answer.get('code');
    const error = answer.get('error');
    if (code === null && error === null) {
      if (session !== null && isFresh(session)) {
        showSignedIn(session);
        return true;
      }
      showSignedOut(
        session === null ? 'Sign in to see the event counts.' : 'Your session has expired. Sign in again.',
      );
      return false;
    }
    const pending = /** @type {PendingSignIn | null} */ (readStored(PENDING_KEY));
    sessionStorage.removeItem(PENDING_KEY);
    // The code is single-use and short-lived: keep it out of the history and of later reloads.
    history.replaceState(null, '', location.pathname + (pending === null ? '' : pending.returnTo));
    if (error !== null) {
      showSignedOut(`Sign-in failed: ${answer.get('error_description') || error}. Try again.`);
      return false;
    }
    if (code === null || pending === null || pending.state !== answer.get('state')) {
      showSignedOut(
        'Sign-in did not complete: its answer belongs to no sign-in started in this tab. Try again.',
      );
      return false;
    }
    let response;
    try {
      response = await fetch(config.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: config.clientId,
          code,
          redirect_uri: pending.redirectUri,
          code_verifier: pending.verifier,
        }),
      });
    } catch (reason) {
      showSignedOut(`Could not reach the sign-in service (${messageOf(reason)}). Try again.`);
      return false;
    }
    /** @type {{ access_token?: unknown, expires_in?: unknown, error?: unknown }} */
    let tokens;
    try {
      tokens = await response.json();
    } catch {
      tokens = {};
    }
    if (!response.ok || typeof tokens.access_token !== 'string') {
      const reason = typeof tokens.error === 'string' ? ` (${tokens.error})` : '';
      showSignedOut(
        `Sign-in failed: the sign-in service answered HTTP ${response.status}${reason}. Try again.`,
      );
      return false;
    }
    const lifetimeSeconds = typeof tokens.expires_in === 'number' ? tokens.expires_in : 3600;
    session = { accessToken: tokens.access_token, expiresAt: Date.now() + lifetimeSeconds * 1000 };
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    showSignedIn(session);
    return true;
  }

  /**
   * Forgets the token; with a logout URL, ends the sign-in service's session too.
   * @param {SignInConfig} config
   */
  function signOut(config) {
    showSignedOut('Signed out.');
    if (config.logoutUrl !== undefined) location.assign(config.logoutUrl);
  }

  /** @param {string} message */
  function showError(message) {
    errorBox.textContent = message;
  }

  async function loadCustomers() {
    /** @type {Customer[]} */
    const customers = [];
    let nextPage = '';
    do {
      /** @type {CustomerPage} */
      const page = await getJson('v1/customers', { limit: '1000', next_page: nextPage });
      customers.push(...page.customers);
      nextPage = page.next_page || '';
    } while (nextPage !== '');
    return customers;
  }

  /**
   * Whole-number grid lines for counts up to max: a step of 1, 2 or 5 times a power of ten.
   * @param {number} max
   */
  function gridSteps(max) {
    const rough = Math.max(1, max / 5);
    const power = 10 ** Math.floor(Math.log10(rough));
    // 10 * power >= rough always holds, so the fallback only tells the type checker so.
    const step =
      [1, 2, 5].map((factor) => factor * power).find((candidate) => candidate >= rough) ?? 10 * power;
    return { step: step, lines: Math.max(1, Math.ceil(max / step)) };
  }

  /** @param {EventCountsBody} body */
  function drawChart(body) {
    const width = 960;
    const height = 320;
    const margin = { left: 64, right: 16, top: 30, bottom: 46 };
    const plotWidth = width - margin.left - margin.right;
    const plotHeight = height - margin.top - margin.bottom;
    const buckets = body.buckets;
    const windowMs = WINDOW_MS[body.window_size];
    const grid = gridSteps(Math.max(...buckets.map((bucket) => bucket.count)));
    const top = grid.step * grid.lines;
    const slot = plotWidth / buckets.length;
    const gap = buckets.length <= 120 ? slot * 0.2 : 0;
    const svg = svgElement('svg', {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Bar chart of ${buckets.length} buckets, ${numbers.format(body.total)} events in total`,
    });
    const defs = svgElement('defs');
    const hatch = svgElement('pattern', {
      id: 'hatch',
      width: 6,
      height: 6,
      patternUnits: 'userSpaceOnUse',
      patternTransform: 'rotate(45)',
    });
    hatch.append(
      svgElement('rect', { width: 6, height: 6, fill: '#fff' }),
      svgElement('rect', { width: 2.5, height: 6, fill: '#2563eb' }),
    );
    defs.append(hatch);
    svg.append(defs);
    for (let i = 0; i <= grid.lines; i++) {
      const y = margin.top + plotHeight - (plotHeight * i) / grid.lines;
      svg.append(
        svgElement('line', { class: 'grid', x1: margin.left, x2: width - margin.right, y1: y, y2: y }),
      );
      svg.append(
        svgElement(
          'text',
          { x: margin.left - 8, y: y + 4, 'text-anchor': 'end' },
          numbers.format(grid.step * i),
        ),
      );
    }
    svg.append(
      svgElement(
        'text',
        { class: 'total', x: width - margin.right, y: 18, 'text-anchor': 'end' },
        `total ${numbers.format(body.total)} events`,
      ),
    );
    const labelEvery = Math.ceil(buckets.length / 7);
    buckets.forEach((bucket, i) => {
      const start = Date.parse(bucket.starting_at);
      const end = Date.parse(bucket.ending_before);
      // A partial bucket is drawn over the part of its window it covers, at its exact position.
      const partial = windowMs !== undefined && end - start < windowMs;
      const offset = windowMs === undefined ? 0 : (start % windowMs) / windowMs;
      const fraction = windowMs === undefined ? 1 : (end - start) / windowMs;
      const barWidth = slot - gap;
      const barHeight = (bucket.count / top) * plotHeight;
      const rect = svgElement('rect', {
        class: partial ? 'bar partial' : 'bar',
        x: margin.left + i * slot + gap / 2 + barWidth * offset,
        y: margin.top + plotHeight - barHeight,
        width: Math.max(1, barWidth * fraction),
        height: barHeight,
        'data-count': bucket.count,
      });
      rect.append(
        svgElement(
          'title',
          {},
          `${formatTime(bucket.starting_at)} to ${formatTime(bucket.ending_before)} UTC: ` +
            `${numbers.format(bucket.count)} events${partial ? ' (partial window)' : ''}`,
        ),
      );
      svg.append(rect);
      // Mark where the range cuts a window: the exact start and end of the requested range.
      for (const cut of [
        offset > 0 ? offset : undefined,
        offset + fraction < 1 ? offset + fraction : undefined,
      ]) {
        if (cut === undefined || !partial) continue;
        const x = margin.left + i * slot + gap / 2 + barWidth * cut;
        svg.append(
          svgElement('line', { class: 'edge', x1: x, x2: x, y1: margin.top, y2: margin.top + plotHeight }),
        );
      }
      if (i % labelEvery === 0) {
        const label =
          body.window_size === 'none'
            ? `${formatTime(bucket.starting_at)} to ${formatTime(bucket.ending_before)}`
            : formatTime(bucket.starting_at);
        svg.append(
          svgElement(
            'text',
            { x: margin.left + (i + 0.5) * slot, y: height - margin.bottom + 18, 'text-anchor': 'middle' },
            label,
          ),
        );
      }
    });
    svg.append(svgElement('text', { x: margin.left, y: height - 8 }, 'UTC'));
    const figure = element('figure');
    const caption = element('figcaption');
    const whole = element('span');
    whole.append(element('span', { class: 'swatch' }), 'whole window');
    const partialKey = element('span');
    partialKey.append(
      element('span', { class: 'swatch partial' }),
      'partial window: only the part inside the range, dashed line at the exact edge',
    );
    caption.append(whole, partialKey);
    figure.append(svg, caption);
    return figure;
  }

  /** @param {EventCountsBody} body */
  function drawTable(body) {
    const table = element('table', { id: 'buckets' });
    const head = element('tr');
    head.append(
      element('th', {}, 'starting_at (UTC)'),
      element('th', {}, 'ending_before (UTC)'),
      element('th', { class: 'count' }, 'count'),
      element('th', {}, 'window'),
    );
    const thead = element('thead');
    thead.append(head);
    const rows = element('tbody');
    const windowMs = WINDOW_MS[body.window_size];
    for (const bucket of body.buckets) {
      const partial =
        windowMs !== undefined &&
        Date.parse(bucket.ending_before) - Date.parse(bucket.starting_at) < windowMs;
      const row = element('tr');
      row.append(
        element('td', {}, formatTime(bucket.starting_at)),
        element('td', {}, formatTime(bucket.ending_before)),
        element('td', { class: 'count' }, numbers.format(bucket.count)),
        element('td', {}, partial ? 'partial' : body.window_size === 'none' ? 'whole range' : 'whole'),
      );
      rows.append(row);
    }
    const foot = element('tr');
    foot.append(
      element('td', { colspan: '2' }, 'total'),
      element('td', { class: 'count' }, numbers.format(body.total)),
      element('td'),
    );
    const tfoot = element('tfoot');
    tfoot.append(foot);
    table.append(thead, rows, tfoot);
    return table;
  }

  /** @param {EventCountsBody} body */
  function render(body) {
    const count = body.buckets.length;
    const buckets =
      body.window_size === 'none'
        ? 'one bucket for the whole range.'
        : `${count} ${WINDOW_ADJECTIVE[body.window_size]} ${count === 1 ? 'bucket' : 'buckets'}.`;
    const range = `[${formatTime(body.starting_at)}, ${formatTime(body.ending_before)})`;
    const summary = element('p', { id: 'summary' });
    summary.append(
      element('strong', { id: 'total', 'data-total': String(body.total) }, numbers.format(body.total)),
      ` events from ${body.customer_id} in ${range} UTC: ${buckets}`,
    );
    result.replaceChildren(summary, drawChart(body), drawTable(body));
    result.hidden = false;
  }

  async function show() {
    showError('');
    if (customerSelect.value === '') {
      showError('Choose a customer first.');
      return;
    }
    const params = {
      starting_at: startInput.value.trim(),
      ending_before: endInput.value.trim(),
      window_size: windowSelect.value,
    };
    const state = new URLSearchParams({ customer: customerSelect.value });
    for (const [name, value] of Object.entries(params)) if (value !== '') state.set(name, value);
    history.replaceState(null, '', `?${state}`);
    submitButton.disabled = true;
    result.setAttribute('aria-busy', 'true');
    try {
      /** @type {EventCountsBody} */
      const body = await getJson(
        `v1/customers/${encodeURIComponent(customerSelect.value)}/event_counts`,
        params,
      );
      render(body);
    } catch (error) {
      result.hidden = true;
      if (error instanceof SignInRequiredError) showSignedOut(error.message);
      else showError(messageOf(error));
    } finally {
      submitButton.disabled = signIn !== null && session === null;
      result.removeAttribute('aria-busy');
    }
  }

  async function start() {
    if (signIn !== null && !(await completeSignIn(signIn))) return;
    const state = new URLSearchParams(location.search);
    startInput.value = state.get('starting_at') || '';
    endInput.value = state.get('ending_before') || '';
    const windowSize = state.get('window_size');
    windowSelect.value =
      windowSize !== null && ['hour', 'day', 'none'].includes(windowSize) ? windowSize : 'hour';
    let customers;
    try {
      customers = await loadCustomers();
    } catch (error) {
      if (error instanceof SignInRequiredError) showSignedOut(error.message);
      else showError(`Could not list the customers. ${messageOf(error)}`);
      return;
    }
    customerSelect.replaceChildren();
    if (customers.length === 0) {
      customerSelect.append(element('option', { value: '' }, 'no customers yet'));
      showError('No events are loaded yet. Load some with: npm run load -- data/events.csv');
      return;
    }
    for (const customer of customers) {
      const label = `${customer.customer_id} (${numbers.format(customer.total_events)})`;
      const span =
        `${numbers.format(customer.total_events)} events from ${formatTime(customer.first_event_at)} ` +
        `to ${formatTime(customer.last_event_at)} UTC`;
      customerSelect.append(element('option', { value: customer.customer_id, title: span }, label));
    }
    const chosen = state.get('customer');
    if (chosen !== null && customers.some((customer) => customer.customer_id === chosen)) {
      customerSelect.value = chosen;
    }
    customerSelect.disabled = false;
    submitButton.disabled = false;
    document.body.dataset.ready = 'true';
    await show();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  if (signIn !== null && account !== null) {
    account.signIn.addEventListener('click', () => {
      beginSignIn(signIn).catch((error) => showError(`Could not start signing in: ${messageOf(error)}`));
    });
    account.signOut.addEventListener('click', () => signOut(signIn));
  }
  start();
}

module.exports = { usagePageScript };
