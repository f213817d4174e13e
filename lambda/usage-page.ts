import { createHash } from 'node:crypto';

/*
 * The usage page served at `/`: plain HTML, CSS and browser JavaScript in one response, no build
 * step and no dependencies. It lives in a TypeScript module so that esbuild (the Lambda bundle),
 * tsx and ts-jest all include it without loaders or file reads. The script is ES2020 written
 * without template literals, so it can sit inside the String.raw literal below unchanged.
 */

const STYLE = `
:root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #d9e2ec; --bar: #2563eb; --bad: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f8fafc; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
.lead { margin: 0 0 20px; color: var(--muted); }
form { display: grid; grid-template-columns: minmax(380px, 3fr) minmax(150px, 2fr) minmax(150px, 2fr) auto auto; gap: 12px; align-items: end; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; }
label { display: flex; flex-direction: column; gap: 4px; font-size: 13px; font-weight: 600; color: var(--muted); }
input, select, button { font: inherit; font-weight: 400; padding: 7px 9px; border: 1px solid #bcccdc; border-radius: 6px; background: #fff; color: var(--ink); min-width: 0; }
button { background: var(--bar); border-color: var(--bar); color: #fff; font-weight: 600; cursor: pointer; }
button:disabled { opacity: 0.6; cursor: progress; }
.hint { grid-column: 1 / -1; margin: 0; font-size: 13px; color: var(--muted); }
#error { margin: 16px 0 0; padding: 12px 14px; border: 1px solid #fda29b; border-radius: 8px; background: #fef3f2; color: var(--bad); }
#error:empty { display: none; }
#result[hidden] { display: none; }
#summary { margin: 20px 0 8px; font-size: 16px; }
#summary strong { font-size: 20px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
svg { display: block; width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: var(--muted); }
svg .total { font-size: 14px; font-weight: 600; fill: var(--ink); }
svg .grid { stroke: var(--line); }
svg .bar { fill: var(--bar); }
svg .bar.partial { fill: url(#hatch); stroke: var(--bar); stroke-width: 1; }
svg .edge { stroke: #d97706; stroke-dasharray: 4 3; }
figcaption { display: flex; gap: 18px; padding: 6px 8px 2px; font-size: 13px; color: var(--muted); }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; border: 1px solid var(--bar); background: var(--bar); }
.swatch.partial { background: repeating-linear-gradient(45deg, var(--bar) 0 2px, #fff 2px 5px); }
table { width: 100%; margin-top: 16px; border-collapse: collapse; background: #fff; border: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; }
th { font-size: 13px; color: var(--muted); background: #f0f4f8; }
td.count, th.count { text-align: right; }
tfoot td { font-weight: 600; border-bottom: 0; }
@media (max-width: 760px) { form { grid-template-columns: 1fr 1fr; } }
`;

const SCRIPT = String.raw`
'use strict';
const HOUR_MS = 3600000;
const WINDOW_MS = { hour: HOUR_MS, day: 24 * HOUR_MS };
const WINDOW_ADJECTIVE = { hour: 'hourly', day: 'daily' };
const PARAMETER_WORDS = {
  starting_at: 'the start',
  ending_before: 'the end',
  window_size: 'the window size',
  customer_id: 'the customer',
  limit: 'the page size',
  next_page: 'the page token',
};
const SVG_NS = 'http://www.w3.org/2000/svg';
const form = document.getElementById('query');
const customerSelect = document.getElementById('customer');
const startInput = document.getElementById('starting-at');
const endInput = document.getElementById('ending-before');
const windowSelect = document.getElementById('window-size');
const submitButton = document.getElementById('show');
const errorBox = document.getElementById('error');
const result = document.getElementById('result');
const numbers = new Intl.NumberFormat('en-US');

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svgElement(tag, attributes, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** 2021-03-01T04:00:00.000Z -> 2021-03-01 04:00, keeping seconds and milliseconds only when set. */
function formatTime(iso) {
  return iso.replace('T', ' ').replace(/(:00)?\.000Z$/, '').replace(/Z$/, '');
}

/** What an API error means, in plain words. */
function describeError(status, body) {
  const error = body && body.error ? body.error : {};
  const message = error.message || 'no details';
  switch (error.code) {
    case 'invalid_parameter':
      return 'The API did not accept ' + (PARAMETER_WORDS[error.parameter] || error.parameter) + ': ' + message + '.';
    case 'customer_not_found':
      return 'This customer has no events yet, so the range cannot start at its first event or end after its last one. Enter both a start and an end.';
    case 'service_unavailable':
      return 'The service is busy right now (DynamoDB is throttling or unavailable). Try again in a moment.';
    case 'internal_error':
      return 'Something went wrong on the server. If it keeps happening, report request id ' + error.request_id + '.';
    default:
      return 'The API answered with HTTP ' + status + ': ' + message + '.';
  }
}

async function getJson(path, params) {
  const url = new URL(path, document.baseURI);
  for (const [name, value] of Object.entries(params)) if (value !== '') url.searchParams.set(name, value);
  let response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (error) {
    throw new Error('Could not reach the API (' + error.message + '). Is the server still running?');
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

function showError(message) {
  errorBox.textContent = message;
}

async function loadCustomers() {
  const customers = [];
  let nextPage = '';
  do {
    const page = await getJson('v1/customers', { limit: '1000', next_page: nextPage });
    customers.push(...page.customers);
    nextPage = page.next_page || '';
  } while (nextPage !== '');
  return customers;
}

/** Whole-number grid lines for counts up to max: a step of 1, 2 or 5 times a power of ten. */
function gridSteps(max) {
  const rough = Math.max(1, max / 5);
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough);
  return { step: step, lines: Math.max(1, Math.ceil(max / step)) };
}

function drawChart(body) {
  const width = 960;
  const height = 320;
  const margin = { left: 64, right: 16, top: 30, bottom: 46 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const buckets = body.buckets;
  const windowMs = WINDOW_MS[body.window_size];
  const grid = gridSteps(Math.max.apply(null, buckets.map((bucket) => bucket.count)));
  const top = grid.step * grid.lines;
  const slot = plotWidth / buckets.length;
  const gap = buckets.length <= 120 ? slot * 0.2 : 0;
  const svg = svgElement('svg', {
    viewBox: '0 0 ' + width + ' ' + height,
    role: 'img',
    'aria-label': 'Bar chart of ' + buckets.length + ' buckets, ' + numbers.format(body.total) + ' events in total',
  });
  const defs = svgElement('defs');
  const hatch = svgElement('pattern', { id: 'hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
  hatch.append(svgElement('rect', { width: 6, height: 6, fill: '#fff' }), svgElement('rect', { width: 2.5, height: 6, fill: '#2563eb' }));
  defs.append(hatch);
  svg.append(defs);
  for (let i = 0; i <= grid.lines; i++) {
    const y = margin.top + plotHeight - (plotHeight * i) / grid.lines;
    svg.append(svgElement('line', { class: 'grid', x1: margin.left, x2: width - margin.right, y1: y, y2: y }));
    svg.append(svgElement('text', { x: margin.left - 8, y: y + 4, 'text-anchor': 'end' }, numbers.format(grid.step * i)));
  }
  svg.append(svgElement('text', { class: 'total', x: width - margin.right, y: 18, 'text-anchor': 'end' }, 'total ' + numbers.format(body.total) + ' events'));
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
    rect.append(svgElement('title', {}, formatTime(bucket.starting_at) + ' to ' + formatTime(bucket.ending_before) + ' UTC: ' + numbers.format(bucket.count) + ' events' + (partial ? ' (partial window)' : '')));
    svg.append(rect);
    // Mark where the range cuts a window: the exact start and end of the requested range.
    for (const cut of [offset > 0 ? offset : undefined, offset + fraction < 1 ? offset + fraction : undefined]) {
      if (cut === undefined || !partial) continue;
      const x = margin.left + i * slot + gap / 2 + barWidth * cut;
      svg.append(svgElement('line', { class: 'edge', x1: x, x2: x, y1: margin.top, y2: margin.top + plotHeight }));
    }
    if (i % labelEvery === 0) {
      const label = body.window_size === 'none' ? formatTime(bucket.starting_at) + ' to ' + formatTime(bucket.ending_before) : formatTime(bucket.starting_at);
      svg.append(svgElement('text', { x: margin.left + (i + 0.5) * slot, y: height - margin.bottom + 18, 'text-anchor': 'middle' }, label));
    }
  });
  svg.append(svgElement('text', { x: margin.left, y: height - 8 }, 'UTC'));
  const figure = element('figure');
  const caption = element('figcaption');
  const whole = element('span');
  whole.append(element('span', { class: 'swatch' }), 'whole window');
  const partialKey = element('span');
  partialKey.append(element('span', { class: 'swatch partial' }), 'partial window: only the part inside the range, dashed line at the exact edge');
  caption.append(whole, partialKey);
  figure.append(svg, caption);
  return figure;
}

function drawTable(body) {
  const table = element('table', { id: 'buckets' });
  const head = element('tr');
  head.append(element('th', {}, 'starting_at (UTC)'), element('th', {}, 'ending_before (UTC)'), element('th', { class: 'count' }, 'count'), element('th', {}, 'window'));
  const thead = element('thead');
  thead.append(head);
  const rows = element('tbody');
  const windowMs = WINDOW_MS[body.window_size];
  for (const bucket of body.buckets) {
    const partial = windowMs !== undefined && Date.parse(bucket.ending_before) - Date.parse(bucket.starting_at) < windowMs;
    const row = element('tr');
    row.append(element('td', {}, formatTime(bucket.starting_at)), element('td', {}, formatTime(bucket.ending_before)), element('td', { class: 'count' }, numbers.format(bucket.count)), element('td', {}, partial ? 'partial' : body.window_size === 'none' ? 'whole range' : 'whole'));
    rows.append(row);
  }
  const foot = element('tr');
  foot.append(element('td', { colspan: '2' }, 'total'), element('td', { class: 'count' }, numbers.format(body.total)), element('td'));
  const tfoot = element('tfoot');
  tfoot.append(foot);
  table.append(thead, rows, tfoot);
  return table;
}

function render(body) {
  const summary = element('p', { id: 'summary' });
  summary.append(
    element('strong', { id: 'total', 'data-total': String(body.total) }, numbers.format(body.total)),
    ' events from ' + body.customer_id + ' in [' + formatTime(body.starting_at) + ', ' + formatTime(body.ending_before) + ') UTC: ' +
      (body.window_size === 'none'
        ? 'one bucket for the whole range.'
        : body.buckets.length + ' ' + WINDOW_ADJECTIVE[body.window_size] + (body.buckets.length === 1 ? ' bucket.' : ' buckets.')),
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
  const params = { starting_at: startInput.value.trim(), ending_before: endInput.value.trim(), window_size: windowSelect.value };
  const state = new URLSearchParams({ customer: customerSelect.value });
  for (const [name, value] of Object.entries(params)) if (value !== '') state.set(name, value);
  history.replaceState(null, '', '?' + state);
  submitButton.disabled = true;
  result.setAttribute('aria-busy', 'true');
  try {
    render(await getJson('v1/customers/' + encodeURIComponent(customerSelect.value) + '/event_counts', params));
  } catch (error) {
    result.hidden = true;
    showError(error.message);
  } finally {
    submitButton.disabled = false;
    result.removeAttribute('aria-busy');
  }
}

async function start() {
  const state = new URLSearchParams(location.search);
  startInput.value = state.get('starting_at') || '';
  endInput.value = state.get('ending_before') || '';
  windowSelect.value = ['hour', 'day', 'none'].includes(state.get('window_size')) ? state.get('window_size') : 'hour';
  let customers;
  try {
    customers = await loadCustomers();
  } catch (error) {
    showError('Could not list the customers. ' + error.message);
    return;
  }
  customerSelect.replaceChildren();
  if (customers.length === 0) {
    customerSelect.append(element('option', { value: '' }, 'no customers yet'));
    showError('No events are loaded yet. Load some with: npm run load -- data/events.csv');
    return;
  }
  for (const customer of customers) {
    const label = customer.customer_id + ' (' + numbers.format(customer.total_events) + ')';
    const span = numbers.format(customer.total_events) + ' events from ' + formatTime(customer.first_event_at) + ' to ' + formatTime(customer.last_event_at) + ' UTC';
    customerSelect.append(element('option', { value: customer.customer_id, title: span }, label));
  }
  if (customers.some((customer) => customer.customer_id === state.get('customer'))) customerSelect.value = state.get('customer');
  customerSelect.disabled = false;
  submitButton.disabled = false;
  document.body.dataset.ready = 'true';
  await show();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  show();
});
start();
`;

/** The usage page: pick a customer, a range and a window size; see a bar chart and a table. */
export const USAGE_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>event-counts · usage</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>Event counts</h1>
<p class="lead">Exact events per customer by hour, UTC day or whole range, from the same API this page calls (<a href="openapi.json">OpenAPI</a>).</p>
<form id="query">
<label>Customer <select id="customer" name="customer" disabled><option value="">loading…</option></select></label>
<label>Start (starting_at) <input id="starting-at" name="starting_at" placeholder="first event" autocomplete="off" spellcheck="false"></label>
<label>End (ending_before) <input id="ending-before" name="ending_before" placeholder="after last event" autocomplete="off" spellcheck="false"></label>
<label>Window <select id="window-size" name="window_size"><option value="hour">hour</option><option value="day">day</option><option value="none">whole range</option></select></label>
<button id="show" type="submit" disabled>Show</button>
<p class="hint">Times are UTC unless they carry an offset, e.g. 2021-03-01T04:00:00Z, 2021-03-01 06:30 or 2021-03-02. The range is [start, end); leave a bound empty to use the customer's first or last event.</p>
</form>
<p id="error" role="alert"></p>
<section id="result" aria-live="polite" hidden></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Response headers of the page; the content security policy admits exactly its own script and style. */
export const USAGE_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-cache',
  'content-security-policy': [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
