import { Annotations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Reads a boolean context flag (`-c name=true` on the command line, or `cdk.json`); absent means
 * false. Any other value is rejected, so a typo such as `-c demo=ture` cannot deploy the wrong stack.
 */
export function readContextFlag(scope: Construct, name: string): boolean {
  const value: unknown = scope.node.tryGetContext(name);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(
    `context flag ${name} must be true or false (for example -c ${name}=true); received ${JSON.stringify(value)}`,
  );
}

/** An OIDC issuer the stack trusts instead of creating a Cognito user pool (`-c authIssuer=...`). */
export interface ExistingIssuer {
  /** The exact `iss` of its tokens (API Gateway compares strings: a trailing slash matters). */
  issuer: string;
  /** Audiences the JWT authorizer accepts: `aud`, or `client_id` for Cognito access tokens. */
  audience: string[];
  /** The usage page's OAuth client: public, authorization code with PKCE, the page URL as redirect URI. */
  clientId: string;
  authorizeUrl: string;
  tokenUrl: string;
  scopes: string[];
  logoutUrl?: string;
}

/**
 * Who may call the API (`-c auth=...`):
 * - `iam` (default): every request SigV4-signed, for machine clients with AWS credentials;
 * - `jwt`: as `iam`, plus a second API for people: the usage page loads without a token and signs
 *   in (a Cognito user pool the stack creates, or `issuer`), then calls with a bearer JWT;
 * - `none`: no authorization at all, a public demo (formerly `-c publicApi=true`).
 */
export type AuthSettings =
  | { mode: 'iam' }
  | { mode: 'none' }
  | { mode: 'jwt'; issuer?: ExistingIssuer; domainPrefix?: string };

const AUTH_MODES = ['iam', 'jwt', 'none'] as const;

// The context keys that describe the sign-in of `jwt` mode.
const ISSUER_KEYS = [
  'authIssuer',
  'authClientId',
  'authAudience',
  'authAuthorizeUrl',
  'authTokenUrl',
  'authScopes',
  'authLogoutUrl',
] as const;
const JWT_KEYS = [...ISSUER_KEYS, 'authDomainPrefix'] as const;

function readString(scope: Construct, name: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`context ${name} must be a non-empty string; received ${JSON.stringify(value)}`);
  }
  return value.trim();
}

function requireHttpsUrl(scope: Construct, name: string): string {
  const value = readString(scope, name);
  if (value === undefined) {
    throw new Error(`-c authIssuer needs -c ${name} too (the usage page signs in through it)`);
  }
  return checkHttpsUrl(name, value);
}

function checkHttpsUrl(name: string, value: string): string {
  if (!URL.canParse(value) || new URL(value).protocol !== 'https:') {
    throw new Error(`context ${name} must be an https URL; received ${JSON.stringify(value)}`);
  }
  return value;
}

function readExistingIssuer(scope: Construct): ExistingIssuer | undefined {
  const issuer = readString(scope, 'authIssuer');
  if (issuer === undefined) {
    const stray = ISSUER_KEYS.find((name) => scope.node.tryGetContext(name) !== undefined);
    if (stray !== undefined) {
      throw new Error(`context ${stray} describes an existing issuer: give -c authIssuer=<issuer URL> too`);
    }
    return undefined;
  }
  const clientId = readString(scope, 'authClientId');
  if (clientId === undefined) {
    throw new Error('-c authIssuer needs -c authClientId too (the usage page signs in as this client)');
  }
  const logoutUrl = readString(scope, 'authLogoutUrl');
  return {
    issuer: checkHttpsUrl('authIssuer', issuer),
    audience: (readString(scope, 'authAudience') ?? clientId).split(',').map((audience) => audience.trim()),
    clientId,
    authorizeUrl: requireHttpsUrl(scope, 'authAuthorizeUrl'),
    tokenUrl: requireHttpsUrl(scope, 'authTokenUrl'),
    scopes: (readString(scope, 'authScopes') ?? 'openid').split(/\s+/),
    ...(logoutUrl === undefined ? {} : { logoutUrl: checkHttpsUrl('authLogoutUrl', logoutUrl) }),
  };
}

/**
 * Reads `-c auth=iam|jwt|none` and the `auth*` options of `jwt`, rejecting unknown modes, options
 * of another mode and half-given issuers with a message that says what to pass. `-c publicApi=true`
 * still means `none`, with a deprecation warning; together with another mode it is an error.
 */
export function readAuthSettings(scope: Construct): AuthSettings {
  const publicApi = readContextFlag(scope, 'publicApi');
  const given: unknown = scope.node.tryGetContext('auth');
  if (given !== undefined && !AUTH_MODES.includes(given as (typeof AUTH_MODES)[number])) {
    throw new Error(
      `context auth must be iam, jwt or none (for example -c auth=jwt); received ${JSON.stringify(given)}`,
    );
  }
  const mode = (given as AuthSettings['mode'] | undefined) ?? (publicApi ? 'none' : 'iam');
  if (publicApi && mode !== 'none') {
    throw new Error(`-c publicApi=true contradicts -c auth=${mode}: publicApi is now -c auth=none; drop one`);
  }
  if (publicApi) {
    Annotations.of(scope).addWarningV2(
      'event-counts:publicApiDeprecated',
      '-c publicApi=true is deprecated: it still deploys a public API, now spelled -c auth=none',
    );
  }
  if (mode !== 'jwt') {
    const stray = JWT_KEYS.find((name) => scope.node.tryGetContext(name) !== undefined);
    if (stray !== undefined)
      throw new Error(`context ${stray} only applies with -c auth=jwt (auth is ${mode})`);
    return { mode };
  }
  const issuer = readExistingIssuer(scope);
  const domainPrefix = readString(scope, 'authDomainPrefix');
  if (issuer !== undefined && domainPrefix !== undefined) {
    throw new Error(
      'context authDomainPrefix names the Cognito domain the stack creates: not with -c authIssuer',
    );
  }
  if (domainPrefix !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(domainPrefix)) {
    throw new Error(
      `context authDomainPrefix must be lowercase letters, digits and hyphens (a Cognito domain prefix); received ${JSON.stringify(domainPrefix)}`,
    );
  }
  return {
    mode,
    ...(issuer === undefined ? {} : { issuer }),
    ...(domainPrefix === undefined ? {} : { domainPrefix }),
  };
}
