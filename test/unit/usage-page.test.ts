import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';
import { buildSync } from 'esbuild';
import { createUsagePage, USAGE_PAGE_HEADERS, USAGE_PAGE_HTML } from '../../lambda/usage-page';

/** What `usage-page.ts` exports, as jest, tsx or the Lambda bundle loaded it. */
interface UsagePage {
  USAGE_PAGE_HTML: string;
  USAGE_PAGE_HEADERS: Record<string, string>;
}

/** The text of the page's one inline `<script>` or `<style>` element. */
function inlined(html: string, tag: 'script' | 'style'): string {
  const elements = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))];
  if (elements.length !== 1) throw new Error(`expected one <${tag}> in the page, found ${elements.length}`);
  return elements[0]?.[1] ?? '';
}

/** The sources a directive of the content security policy allows. */
function allowed(page: UsagePage, directive: string): string[] {
  const policy = page.USAGE_PAGE_HEADERS['content-security-policy'] ?? '';
  const entry = policy
    .split(';')
    .map((part) => part.trim().split(/\s+/))
    .find(([name]) => name === directive);
  return entry?.slice(1) ?? [];
}

/** A CSP hash source, computed the way browsers hash an inline element's text (UTF-8). */
const hashSource = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Loads `usage-page.ts` from esbuild's CommonJS output. */
function evaluateBundle(code: string): UsagePage {
  const module = { exports: {} };
  new Function('module', 'exports', 'require', code)(module, module.exports, require);
  return module.exports as UsagePage;
}

/** Asserts what every way of serving the page must hold: a policy that admits exactly the page. */
function expectPolicyMatchesPage(page: UsagePage): void {
  expect(allowed(page, 'script-src')).toEqual([hashSource(inlined(page.USAGE_PAGE_HTML, 'script'))]);
  expect(allowed(page, 'style-src')).toEqual([hashSource(inlined(page.USAGE_PAGE_HTML, 'style'))]);
}

describe('the usage page', () => {
  const page: UsagePage = { USAGE_PAGE_HTML, USAGE_PAGE_HEADERS };
  const script = inlined(USAGE_PAGE_HTML, 'script');

  it('admits exactly the script and the style it serves in its content security policy', () => {
    expectPolicyMatchesPage(page);
    expect(allowed(page, 'default-src')).toEqual(["'none'"]);
  });

  it('serves a script that parses as plain JavaScript, with no TypeScript syntax', () => {
    expect(() => new Script(script, { filename: 'usage-page-script.js' })).not.toThrow();
    expect(script).toMatch(/^'use strict';\n\(function usagePageScript\(\) \{/);
  });

  it('serves the script the same way when bundled and minified like the Lambda', () => {
    // The options of the NodejsFunction in lib/event-counts-stack.ts that change the code.
    const bundle = buildSync({
      entryPoints: ['lambda/usage-page.ts'],
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'cjs',
      minify: true,
      write: false,
      logLevel: 'silent',
    });

    const bundled = evaluateBundle(bundle.outputFiles[0]?.text ?? '');

    const bundledScript = inlined(bundled.USAGE_PAGE_HTML, 'script');
    expect(bundledScript).not.toEqual(script);
    expectPolicyMatchesPage(bundled);
    expect(() => new Script(bundledScript)).not.toThrow();
    // esbuild's helpers (__name, __commonJS, ...) exist in the bundle, never in the browser.
    expect(bundledScript).not.toMatch(/\b__\w+/);
  });

  it('serves the script as written when run by tsx, like npm start', () => {
    const program = [
      "const page = require('./lambda/usage-page');",
      'process.stdout.write(JSON.stringify(page));',
    ].join('\n');

    const output = execFileSync(process.execPath, [require.resolve('tsx/cli'), '--eval', program], {
      encoding: 'utf8',
    });

    const served = JSON.parse(output) as UsagePage;
    expect(inlined(served.USAGE_PAGE_HTML, 'script')).toEqual(script);
    expectPolicyMatchesPage(served);
  }, 20_000);
});

describe('the usage page with sign-in (-c auth=jwt)', () => {
  const signIn = {
    clientId: 'page-client',
    authorizeUrl: 'https://example.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
    tokenUrl: 'https://example.auth.eu-west-1.amazoncognito.com/oauth2/token',
    scopes: ['openid'],
  };
  const signInPage = createUsagePage(signIn);
  const page: UsagePage = { USAGE_PAGE_HTML: signInPage.html, USAGE_PAGE_HEADERS: signInPage.headers };

  it('carries its sign-in settings as an inert JSON element and shows a sign-in bar', () => {
    const config = /<script type="application\/json" id="sign-in-config">([^<]*)<\/script>/.exec(
      signInPage.html,
    );

    expect(JSON.parse(config?.[1] ?? '')).toEqual(signIn);
    expect(signInPage.html).toContain('<button id="sign-in" type="button" hidden>Sign in</button>');
    expect(USAGE_PAGE_HTML).not.toContain('<div id="account">');
    expect(USAGE_PAGE_HTML).not.toContain('id="sign-in-config"');
  });

  it('escapes `<` in the settings, so no value can close the element', () => {
    const html = createUsagePage({ ...signIn, clientId: '</script><script>alert(1)</script>' }).html;

    expect(html).not.toContain('</script><script>alert(1)');
    expect(html).toContain('\\u003c/script>');
  });

  it('lets the page reach the token endpoint and nothing else besides its own origin', () => {
    expectPolicyMatchesPage(page);
    expect(allowed(page, 'connect-src')).toEqual([
      "'self'",
      'https://example.auth.eu-west-1.amazoncognito.com',
    ]);
    expect(allowed({ USAGE_PAGE_HTML, USAGE_PAGE_HEADERS }, 'connect-src')).toEqual(["'self'"]);
  });
});
