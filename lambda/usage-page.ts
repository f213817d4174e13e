import { createHash } from 'node:crypto';
import type { PageSignIn } from './page-sign-in';
import { usagePageScript } from './usage-page-script';

/*
 * The usage page served at `/`: plain HTML, CSS and browser JavaScript in one response, no
 * dependencies. The script is `usage-page-script.js`, a function type-checked with the DOM by
 * `tsconfig.browser.json` and linted like the rest; its source text is inlined when this module
 * loads, so esbuild (the Lambda bundle), tsx and ts-jest all include it without loaders or file reads.
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
#account { display: flex; gap: 12px; align-items: center; justify-content: flex-end; margin: 0 0 12px; font-size: 14px; color: var(--muted); }
#account button { padding: 4px 12px; }
#account button.quiet { background: #fff; color: var(--bar); }
`;

/**
 * The script element's text: the source of `usagePageScript`, called at once, in strict mode. The CSP
 * hash below is computed from this very string, so it holds for whatever the loader made of the
 * function (the Lambda bundle minifies it; tsx and jest load it as written).
 */
const SCRIPT = `'use strict';\n(${usagePageScript.toString()})();\n`;

/** The sign-in bar of a page that needs a token: status text and the two buttons the script drives. */
const ACCOUNT_BAR = `<div id="account">
<span id="account-status" role="status">Checking sign-in…</span>
<button id="sign-in" type="button" hidden>Sign in</button>
<button id="sign-out" class="quiet" type="button" hidden>Sign out</button>
</div>
`;

/**
 * The page's sign-in settings as an inert JSON data block (`type="application/json"` is never run,
 * so the content security policy needs no hash for it); `<` is escaped so no value can end the element.
 */
function signInConfigElement(signIn: PageSignIn): string {
  const json = JSON.stringify(signIn).replace(/</g, '\\u003c');
  return `<script type="application/json" id="sign-in-config">${json}</script>\n`;
}

function pageHtml(signIn: PageSignIn | undefined): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>event-counts · usage</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${signIn === undefined ? '' : ACCOUNT_BAR}<h1>Event counts</h1>
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
${signIn === undefined ? '' : signInConfigElement(signIn)}<script>${SCRIPT}</script>
</body>
</html>
`;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The usage page: its HTML and the response headers it is served with. */
export interface UsagePage {
  html: string;
  headers: Record<string, string>;
}

/**
 * Builds the usage page: pick a customer, a range and a window size; see a bar chart and a table.
 * With `signIn` the page signs the person in first (authorization code with PKCE) and sends the
 * token; its content security policy then also lets it reach the token endpoint's origin.
 */
export function createUsagePage(signIn?: PageSignIn): UsagePage {
  const connectSources = ["'self'", ...(signIn === undefined ? [] : [new URL(signIn.tokenUrl).origin])];
  return {
    html: pageHtml(signIn),
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': [
        "default-src 'none'",
        `script-src ${sha256(SCRIPT)}`,
        `style-src ${sha256(STYLE)}`,
        `connect-src ${connectSources.join(' ')}`,
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
      ].join('; '),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
  };
}

/** The page of an API that needs no token from a browser (`npm start`, `-c auth=none`). */
export const USAGE_PAGE: UsagePage = createUsagePage();

/** The HTML of `USAGE_PAGE`. */
export const USAGE_PAGE_HTML = USAGE_PAGE.html;

/** The response headers of `USAGE_PAGE`; the content security policy admits exactly its own script and style. */
export const USAGE_PAGE_HEADERS: Record<string, string> = USAGE_PAGE.headers;
