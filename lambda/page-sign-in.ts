import { ConfigurationError, optionalEnv } from '../core/config';

/**
 * How the usage page signs a person in when the API wants a JWT (`-c auth=jwt`): OAuth 2.0
 * authorization code with PKCE against these endpoints, as a public client (no secret). The page
 * sends the access token it gets as `Authorization: Bearer`.
 */
export interface PageSignIn {
  /** The OAuth client id of the page; the API's JWT authorizer accepts tokens issued to it. */
  clientId: string;
  /** Where the page sends the browser to sign in (`.../oauth2/authorize` on a Cognito domain). */
  authorizeUrl: string;
  /** Where the page exchanges the code for tokens (`.../oauth2/token`); it must allow CORS. */
  tokenUrl: string;
  /** Scopes asked for; `openid` at least. */
  scopes: string[];
  /** Where "Sign out" sends the browser to end the issuer's session too; absent: the page only forgets its token. */
  logoutUrl?: string;
}

/**
 * The routes that answer without a token in `jwt` mode, as API Gateway route keys: the page and
 * the OpenAPI document it links to. The stack routes them with no authorizer, and the local JWT
 * authorizer lets them through, so the page can load and then sign in.
 */
export const PUBLIC_ROUTE_KEYS: readonly string[] = ['GET /', 'GET /openapi.json'];

/** The Lambda environment variables that carry `PageSignIn`; the stack sets them in `jwt` mode. */
export const PAGE_SIGN_IN_ENV = {
  clientId: 'SIGN_IN_CLIENT_ID',
  authorizeUrl: 'SIGN_IN_AUTHORIZE_URL',
  tokenUrl: 'SIGN_IN_TOKEN_URL',
  scopes: 'SIGN_IN_SCOPES',
  logoutUrl: 'SIGN_IN_LOGOUT_URL',
} as const;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks that `value` is an https URL (http only on loopback, for local tests), naming `name`. */
function requireEndpointUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`${name} must be an absolute URL; received ${JSON.stringify(value)}`);
  }
  const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopback) {
    throw new ConfigurationError(`${name} must be an https URL; received ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Reads the page's sign-in settings from the environment: undefined when `SIGN_IN_CLIENT_ID` is
 * unset (the API needs no token from a browser), otherwise every URL is required and checked.
 */
export function readPageSignIn(env: NodeJS.ProcessEnv = process.env): PageSignIn | undefined {
  const clientId = optionalEnv(PAGE_SIGN_IN_ENV.clientId, env);
  if (clientId === undefined) return undefined;
  const required = (name: string) => {
    const value = optionalEnv(name, env);
    if (value === undefined) {
      throw new ConfigurationError(
        `environment variable ${name} is required when ${PAGE_SIGN_IN_ENV.clientId} is set`,
      );
    }
    return requireEndpointUrl(name, value);
  };
  const logoutUrl = optionalEnv(PAGE_SIGN_IN_ENV.logoutUrl, env);
  const scopes = (optionalEnv(PAGE_SIGN_IN_ENV.scopes, env) ?? 'openid').split(/\s+/);
  return {
    clientId,
    authorizeUrl: required(PAGE_SIGN_IN_ENV.authorizeUrl),
    tokenUrl: required(PAGE_SIGN_IN_ENV.tokenUrl),
    scopes,
    ...(logoutUrl === undefined
      ? {}
      : { logoutUrl: requireEndpointUrl(PAGE_SIGN_IN_ENV.logoutUrl, logoutUrl) }),
  };
}
