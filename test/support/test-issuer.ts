import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Signs `claims` as a compact RS256 JWS with `key`, naming `kid` in the header: what an OIDC
 * issuer hands out as an access token.
 */
export function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'RS256', kid, typ: 'JWT' })}.${encode(claims)}`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
}

/** An RS256 signing key and the JWK an issuer publishes for it. */
export function createSigningKey(): { kid: string; privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

/** The OIDC issuer a test signs in with, and the knobs a test turns. */
export interface TestIssuer {
  /** `iss` of its tokens, and the base of its discovery document. */
  issuer: string;
  clientId: string;
  authorizeUrl: string;
  tokenUrl: string;
  jwksUri: string;
  /** Lifetime of the access tokens it issues from now on (default 3600 s). */
  tokenLifetimeSeconds: number;
  /** How many codes the token endpoint has exchanged for tokens. */
  readonly tokensIssued: number;
  /** An access token for `clientId`, like the token endpoint's, with `claims` overriding its claims. */
  accessToken(claims?: Record<string, unknown>): string;
  /** Accepts this redirect URI from now on (the page's URL, known once its server listens). */
  allowRedirectUri(uri: string): void;
  close(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  expiresAt: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * A tiny OAuth 2.0 / OIDC issuer on 127.0.0.1 for the sign-in tests: its authorize endpoint signs
 * the one test user in at once and redirects back with a code; its token endpoint exchanges a code
 * only for the PKCE verifier of its challenge (S256), the same client and redirect URI, once; it
 * issues RS256 access tokens shaped like Cognito's (`client_id`, no `aud`) and publishes its key set.
 */
export async function startTestIssuer({ clientId = 'usage-page' } = {}): Promise<TestIssuer> {
  const signingKey = createSigningKey();
  const redirectUris = new Set<string>();
  const codes = new Map<string, PendingCode>();
  let tokensIssued = 0;
  let base = '';

  const state = {
    tokenLifetimeSeconds: 3600,
    accessToken(claims: Record<string, unknown> = {}): string {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(
        {
          iss: base,
          sub: 'test-user-id',
          username: 'test-user',
          client_id: clientId,
          token_use: 'access',
          scope: 'openid',
          iat: now,
          exp: now + state.tokenLifetimeSeconds,
          ...claims,
        },
        signingKey.privateKey,
        signingKey.kid,
      );
    },
  };

  function authorize(url: URL, response: ServerResponse): void {
    const param = (name: string) => url.searchParams.get(name) ?? '';
    const redirectUri = param('redirect_uri');
    if (param('client_id') !== clientId || !redirectUris.has(redirectUri)) {
      // Never redirect to an unregistered URI: answer here instead.
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.end('unknown client_id or redirect_uri');
      return;
    }
    const back = new URL(redirectUri);
    back.searchParams.set('state', param('state'));
    if (
      param('response_type') !== 'code' ||
      param('code_challenge_method') !== 'S256' ||
      !param('code_challenge')
    ) {
      back.searchParams.set('error', 'invalid_request');
      back.searchParams.set('error_description', 'PKCE with S256 is required');
    } else {
      const code = randomUUID();
      codes.set(code, {
        clientId,
        redirectUri,
        challenge: param('code_challenge'),
        expiresAt: Date.now() + 60_000,
      });
      back.searchParams.set('code', code);
    }
    response.writeHead(302, { location: back.toString() });
    response.end();
  }

  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The page calls from its own origin: a CORS "simple request" (form body, no custom header).
    const cors = { 'access-control-allow-origin': request.headers.origin ?? '*' };
    const form = new URLSearchParams(await readBody(request));
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code); // single use, whatever the outcome
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (
      form.get('grant_type') !== 'authorization_code' ||
      pending === undefined ||
      pending.expiresAt < Date.now() ||
      form.get('client_id') !== pending.clientId ||
      form.get('redirect_uri') !== pending.redirectUri ||
      challenge !== pending.challenge
    ) {
      sendJson(response, 400, { error: 'invalid_grant' }, cors);
      return;
    }
    tokensIssued += 1;
    sendJson(
      response,
      200,
      { access_token: state.accessToken(), token_type: 'Bearer', expires_in: state.tokenLifetimeSeconds },
      cors,
    );
  }

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    if (request.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      sendJson(response, 200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`,
      });
    } else if (request.method === 'GET' && url.pathname === '/jwks') {
      sendJson(response, 200, { keys: [signingKey.jwk] });
    } else if (request.method === 'GET' && url.pathname === '/authorize') {
      authorize(url, response);
    } else if (request.method === 'POST' && url.pathname === '/token') {
      void token(request, response);
    } else {
      sendJson(response, 404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer: base,
    clientId,
    authorizeUrl: `${base}/authorize`,
    tokenUrl: `${base}/token`,
    jwksUri: `${base}/jwks`,
    get tokenLifetimeSeconds() {
      return state.tokenLifetimeSeconds;
    },
    set tokenLifetimeSeconds(seconds: number) {
      state.tokenLifetimeSeconds = seconds;
    },
    get tokensIssued() {
      return tokensIssued;
    },
    accessToken: (claims) => state.accessToken(claims),
    allowRedirectUri(uri) {
      redirectUris.add(uri);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
