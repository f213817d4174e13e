import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorMessage } from '../core/errors';
import type { ApiAuthorizer } from './server';

/*
 * The local stand-in for the HTTP API's JWT authorizer (`-c auth=jwt` in lib/): a request to a
 * route that needs a token must carry `Authorization: Bearer <JWT>` signed by a key of the issuer's
 * key set, with the issuer's `iss`, an accepted audience and an unexpired `exp`; anything else gets
 * API Gateway's bare 401. Written with node:crypto only: the checks are few and fixed, and the
 * Chromium test runs them against an in-process issuer.
 */

/** Why a token was refused. Logged locally; like API Gateway, the caller only gets a 401. */
export class JwtRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtRejectedError';
  }
}

/** The claims of a verified token. */
export type JwtClaims = Record<string, unknown>;

/** What a token is checked against. */
export interface JwtExpectations {
  /** The exact `iss` (API Gateway compares it as a string: a trailing slash matters). */
  issuer: string;
  /** Accepted audiences: the token's `aud` (a string or a list) or, for Cognito access tokens, its `client_id`. */
  audience: readonly string[];
  /** The verification key for a `kid`, or undefined when the issuer has no such key. */
  key: (kid: string) => Promise<KeyObject | undefined>;
  /** Seconds since the epoch. */
  nowSeconds: number;
}

// The algorithms of the keys issuers publish for access tokens; never `none` or an HMAC (a
// public key used as an HMAC secret would let anyone sign).
const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtRejectedError(`the token's ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtRejectedError(`the token's ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function audienceMatches(claims: JwtClaims, accepted: readonly string[]): boolean {
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (audiences.some((value) => typeof value === 'string' && accepted.includes(value))) return true;
  // Cognito access tokens carry no `aud`: API Gateway checks `client_id` against the audience.
  return aud === undefined && typeof claims.client_id === 'string' && accepted.includes(claims.client_id);
}

/**
 * Verifies a compact JWS: its algorithm (RS256 or ES256), its signature by the issuer's key for
 * its `kid`, then `iss`, the audience, `exp` and `nbf`. Returns the claims, or throws
 * JwtRejectedError saying which check failed.
 */
export async function verifyJwt(token: string, expected: JwtExpectations): Promise<JwtClaims> {
  const parts = token.split('.');
  const [headerPart, payloadPart, signaturePart] = parts;
  if (parts.length !== 3 || headerPart === undefined || payloadPart === undefined || !signaturePart) {
    throw new JwtRejectedError('the token is not a signed JWT (three dot-separated parts)');
  }
  const header = decodeJson(headerPart, 'header');
  const algorithm = typeof header.alg === 'string' ? ALGORITHMS[header.alg] : undefined;
  if (algorithm === undefined) {
    throw new JwtRejectedError(`the token's algorithm ${JSON.stringify(header.alg)} is not RS256 or ES256`);
  }
  if (typeof header.kid !== 'string') throw new JwtRejectedError('the token names no key (kid)');
  const key = await expected.key(header.kid);
  if (key === undefined) throw new JwtRejectedError(`the issuer has no key ${JSON.stringify(header.kid)}`);
  const signed = verify(
    algorithm.hash,
    Buffer.from(`${headerPart}.${payloadPart}`),
    algorithm.dsaEncoding === undefined ? key : { key, dsaEncoding: algorithm.dsaEncoding },
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!signed) throw new JwtRejectedError('the token signature does not verify');
  const claims = decodeJson(payloadPart, 'payload');
  if (claims.iss !== expected.issuer) {
    throw new JwtRejectedError(`the token's issuer ${JSON.stringify(claims.iss)} is not ${expected.issuer}`);
  }
  if (!audienceMatches(claims, expected.audience)) {
    throw new JwtRejectedError('the token is not for an accepted audience');
  }
  if (typeof claims.exp !== 'number') throw new JwtRejectedError('the token has no expiry (exp)');
  if (claims.exp <= expected.nowSeconds) throw new JwtRejectedError('the token has expired');
  if (typeof claims.nbf === 'number' && claims.nbf > expected.nowSeconds) {
    throw new JwtRejectedError('the token is not valid yet (nbf)');
  }
  return claims;
}

/** Reads a JSON document over HTTP: the issuer's discovery document and key set. */
async function fetchJson(url: string): Promise<unknown> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  return response.json();
}

/** What the local JWT authorizer checks, mirroring the stack's HTTP API JWT authorizer. */
export interface JwtAuthorizerOptions {
  issuer: string;
  audience: readonly string[];
  /** The key set's URL; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`, as API Gateway finds it. */
  jwksUri?: string;
  /** Route keys (`GET /`) that need no token, as routed without an authorizer in the stack. */
  publicRouteKeys?: readonly string[];
  /** Told why each refused token was refused (the caller only sees 401). */
  onReject?: (reason: string) => void;
  /** Reads a JSON document; default: fetch. */
  readJson?: (url: string) => Promise<unknown>;
  /** The clock, in milliseconds; default: Date.now. */
  now?: () => number;
}

// What API Gateway answers for a missing or refused token.
const UNAUTHORIZED: APIGatewayProxyStructuredResultV2 = {
  statusCode: 401,
  headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
  body: JSON.stringify({ message: 'Unauthorized' }),
};

/**
 * The issuer's signing keys by `kid`, fetched when first needed and again when a token names a
 * key it does not have (the issuer rotated its keys).
 */
function createKeyStore(
  options: Pick<JwtAuthorizerOptions, 'issuer' | 'jwksUri'>,
  readJson: (url: string) => Promise<unknown>,
) {
  let keys = new Map<string, KeyObject>();
  const load = async () => {
    let jwksUri = options.jwksUri;
    if (jwksUri === undefined) {
      const discovery = (await readJson(
        `${options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      )) as { jwks_uri?: unknown };
      if (typeof discovery.jwks_uri !== 'string') throw new Error('the issuer names no jwks_uri');
      jwksUri = discovery.jwks_uri;
    }
    const set = (await readJson(jwksUri)) as { keys?: unknown };
    const loaded = new Map<string, KeyObject>();
    for (const jwk of Array.isArray(set.keys) ? (set.keys as JsonWebKey[]) : []) {
      if (typeof jwk.kid === 'string' && (jwk.use === undefined || jwk.use === 'sig')) {
        loaded.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
      }
    }
    keys = loaded;
  };
  return async (kid: string) => {
    if (!keys.has(kid)) await load();
    return keys.get(kid);
  };
}

/**
 * An authorizer for the local server (`createLocalServer(handler, { authorize })`) that enforces
 * what the stack's JWT authorizer enforces in `-c auth=jwt`: routes in `publicRouteKeys` pass,
 * every other request needs a valid bearer token, or gets 401 `{"message":"Unauthorized"}`.
 */
export function createJwtAuthorizer(options: JwtAuthorizerOptions): ApiAuthorizer {
  const publicRoutes = new Set(options.publicRouteKeys ?? []);
  const key = createKeyStore(options, options.readJson ?? fetchJson);
  const now = options.now ?? Date.now;
  return async (event: APIGatewayProxyEventV2) => {
    if (publicRoutes.has(`${event.requestContext.http.method} ${event.rawPath}`)) return undefined;
    const match = /^Bearer +(\S+)$/i.exec(event.headers.authorization ?? '');
    try {
      if (match?.[1] === undefined) throw new JwtRejectedError('no bearer token in the Authorization header');
      await verifyJwt(match[1], {
        issuer: options.issuer,
        audience: options.audience,
        key,
        nowSeconds: Math.floor(now() / 1000),
      });
      return undefined;
    } catch (error) {
      // A key set that cannot be read refuses the token too, as API Gateway does.
      options.onReject?.(errorMessage(error));
      return UNAUTHORIZED;
    }
  };
}
