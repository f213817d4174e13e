import { generateKeyPairSync, sign } from 'node:crypto';
import { createJwtAuthorizer, type JwtAuthorizerOptions } from '../../local/jwt-auth';
import { apiEvent } from '../support/api-event';
import { createSigningKey, signJwt } from '../support/test-issuer';

const ISSUER = 'https://issuer.example.com/pool';
const CLIENT_ID = 'page-client';
const NOW_MS = Date.parse('2021-03-01T04:00:00Z');
const NOW = NOW_MS / 1000;

// RSA key generation takes a few hundred milliseconds: one key for the tests that need any.
const KEY = createSigningKey();

const UNAUTHORIZED = {
  statusCode: 401,
  headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
  body: '{"message":"Unauthorized"}',
};

/** A key set served from memory, counting how often the authorizer reads it. */
function issuerDocuments(keys: Record<string, unknown>[]) {
  const reads: string[] = [];
  const documents: Record<string, unknown> = {
    [`${ISSUER}/.well-known/openid-configuration`]: { issuer: ISSUER, jwks_uri: `${ISSUER}/jwks` },
    [`${ISSUER}/jwks`]: { keys },
  };
  const readJson = async (url: string) => {
    reads.push(url);
    if (!(url in documents)) throw new Error(`GET ${url} answered HTTP 404`);
    return documents[url];
  };
  return { reads, readJson, keys };
}

function setUp(overrides: Partial<JwtAuthorizerOptions> = {}, key = KEY) {
  const documents = issuerDocuments([key.jwk]);
  const rejections: string[] = [];
  const authorize = createJwtAuthorizer({
    issuer: ISSUER,
    audience: [CLIENT_ID],
    publicRouteKeys: ['GET /', 'GET /openapi.json'],
    readJson: documents.readJson,
    now: () => NOW_MS,
    onReject: (reason) => rejections.push(reason),
    ...overrides,
  });
  const token = (claims: Record<string, unknown> = {}) =>
    signJwt(
      { iss: ISSUER, sub: 'u1', client_id: CLIENT_ID, token_use: 'access', exp: NOW + 600, ...claims },
      key.privateKey,
      key.kid,
    );
  const request = (authorization?: string, path = '/v1/customers') => {
    const event = apiEvent(path);
    if (authorization !== undefined) event.headers.authorization = authorization;
    return authorize(event);
  };
  return { key, documents, rejections, token, request };
}

describe('createJwtAuthorizer (the local JWT authorizer)', () => {
  it('lets a request with a valid Cognito-style access token through', async () => {
    const { token, request, rejections } = setUp();

    expect(await request(`Bearer ${token()}`)).toBeUndefined();
    expect(rejections).toEqual([]);
  });

  it('accepts an `aud` claim naming an accepted audience, as a string or in a list', async () => {
    const { token, request } = setUp();

    expect(await request(`Bearer ${token({ client_id: undefined, aud: CLIENT_ID })}`)).toBeUndefined();
    expect(
      await request(`Bearer ${token({ client_id: undefined, aud: ['other', CLIENT_ID] })}`),
    ).toBeUndefined();
  });

  it('finds the key set through the issuer discovery document, once for many requests', async () => {
    const { token, request, documents } = setUp();

    await request(`Bearer ${token()}`);
    await request(`Bearer ${token()}`);

    expect(documents.reads).toEqual([`${ISSUER}/.well-known/openid-configuration`, `${ISSUER}/jwks`]);
  });

  it('lets the public routes through without a token', async () => {
    const { request } = setUp();

    expect(await request(undefined, '/')).toBeUndefined();
    expect(await request(undefined, '/openapi.json')).toBeUndefined();
  });

  it.each([
    ['no Authorization header', undefined, 'no bearer token in the Authorization header'],
    ['another scheme', 'Basic dXNlcjpwYXNz', 'no bearer token in the Authorization header'],
    ['a token that is not a JWT', 'Bearer abc', 'the token is not a signed JWT (three dot-separated parts)'],
  ])('answers 401 to a request with %s', async (_case, authorization, reason) => {
    const { request, rejections } = setUp();

    expect(await request(authorization)).toEqual(UNAUTHORIZED);
    expect(rejections).toEqual([reason]);
  });

  it.each([
    ['another issuer', { iss: 'https://evil.example.com' }, /issuer "https:\/\/evil.example.com" is not/],
    ['another audience', { client_id: 'other-client' }, /not for an accepted audience/],
    ['an expired token', { exp: NOW - 1 }, /has expired/],
    ['a token expiring this second', { exp: NOW }, /has expired/],
    ['no expiry', { exp: undefined }, /no expiry/],
    ['a token not valid yet', { nbf: NOW + 60 }, /not valid yet/],
  ])('answers 401 to %s', async (_case, claims, reason) => {
    const { token, request, rejections } = setUp();

    expect(await request(`Bearer ${token(claims)}`)).toEqual(UNAUTHORIZED);
    expect(rejections).toEqual([expect.stringMatching(reason)]);
  });

  it('answers 401 to a token signed by a key the issuer does not publish', async () => {
    const { key, request, rejections } = setUp();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forged = signJwt({ iss: ISSUER, client_id: CLIENT_ID, exp: NOW + 600 }, privateKey, key.kid);

    expect(await request(`Bearer ${forged}`)).toEqual(UNAUTHORIZED);
    expect(rejections).toEqual(['the token signature does not verify']);
  });

  it('answers 401 to a token whose claims were changed after signing', async () => {
    const { token, request } = setUp();
    const [header, , signature] = token().split('.');
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, client_id: CLIENT_ID, exp: NOW + 9999 }));

    const tampered = `${header}.${payload.toString('base64url')}.${signature}`;

    expect(await request(`Bearer ${tampered}`)).toEqual(UNAUTHORIZED);
  });

  it.each([
    ['none', ''],
    ['HS256', 'c2lnbmF0dXJl'],
  ])('answers 401 to a token with algorithm %s', async (alg, signature) => {
    const { key, request, rejections } = setUp();
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${encode({ alg, kid: key.kid })}.${encode({ iss: ISSUER, client_id: CLIENT_ID, exp: NOW + 600 })}.${signature}`;

    expect(await request(`Bearer ${token}`)).toEqual(UNAUTHORIZED);
    expect(rejections).toHaveLength(1);
  });

  it('verifies ES256 tokens (raw r||s signatures)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'ec-key', alg: 'ES256', use: 'sig' };
    const documents = issuerDocuments([jwk]);
    const authorize = createJwtAuthorizer({
      issuer: ISSUER,
      audience: [CLIENT_ID],
      readJson: documents.readJson,
      now: () => NOW_MS,
    });
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'ES256', kid: 'ec-key' })}.${encode({ iss: ISSUER, aud: CLIENT_ID, exp: NOW + 60 })}`;
    const signature = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const event = apiEvent('/v1/customers');
    event.headers.authorization = `Bearer ${input}.${signature.toString('base64url')}`;

    expect(await authorize(event)).toBeUndefined();
  });

  it('reads the key set again when a token names a new key, so a rotated key is picked up', async () => {
    const { documents, request } = setUp();
    const rotated = createSigningKey();
    const signedByUnpublishedKey = setUp({}, rotated).token();
    expect(await request(`Bearer ${signedByUnpublishedKey}`)).toEqual(UNAUTHORIZED); // read again, still refused
    documents.keys.splice(0, documents.keys.length, rotated.jwk);

    const token = signJwt(
      { iss: ISSUER, client_id: CLIENT_ID, exp: NOW + 600 },
      rotated.privateKey,
      rotated.kid,
    );

    expect(await request(`Bearer ${token}`)).toBeUndefined();
  });

  it('answers 401 when the key set cannot be read', async () => {
    const { token, request, rejections } = setUp({ jwksUri: 'https://issuer.example.com/missing' });

    expect(await request(`Bearer ${token()}`)).toEqual(UNAUTHORIZED);
    expect(rejections).toEqual(['GET https://issuer.example.com/missing answered HTTP 404']);
  });
});
