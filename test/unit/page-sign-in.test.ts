import { ConfigurationError } from '../../core/config';
import { readPageSignIn } from '../../lambda/page-sign-in';

const COGNITO = 'https://event-counts-123456789012.auth.eu-west-1.amazoncognito.com';

describe('readPageSignIn', () => {
  it('is undefined when SIGN_IN_CLIENT_ID is unset: the page needs no sign-in', () => {
    expect(readPageSignIn({})).toBeUndefined();
    expect(readPageSignIn({ SIGN_IN_CLIENT_ID: '' })).toBeUndefined();
  });

  it('reads the client, the endpoints, the scopes and the logout URL', () => {
    const signIn = readPageSignIn({
      SIGN_IN_CLIENT_ID: 'client',
      SIGN_IN_AUTHORIZE_URL: `${COGNITO}/oauth2/authorize`,
      SIGN_IN_TOKEN_URL: `${COGNITO}/oauth2/token`,
      SIGN_IN_SCOPES: 'openid email',
      SIGN_IN_LOGOUT_URL: `${COGNITO}/logout?client_id=client&logout_uri=https://api.example.com/`,
    });

    expect(signIn).toEqual({
      clientId: 'client',
      authorizeUrl: `${COGNITO}/oauth2/authorize`,
      tokenUrl: `${COGNITO}/oauth2/token`,
      scopes: ['openid', 'email'],
      logoutUrl: `${COGNITO}/logout?client_id=client&logout_uri=https://api.example.com/`,
    });
  });

  it('asks for openid when no scopes are given, and has no logout URL unless given', () => {
    const signIn = readPageSignIn({
      SIGN_IN_CLIENT_ID: 'client',
      SIGN_IN_AUTHORIZE_URL: `${COGNITO}/oauth2/authorize`,
      SIGN_IN_TOKEN_URL: `${COGNITO}/oauth2/token`,
    });

    expect(signIn).toEqual(expect.objectContaining({ scopes: ['openid'] }));
    expect(signIn).not.toHaveProperty('logoutUrl');
  });

  it('fails naming the missing variable when a client id comes without its endpoints', () => {
    expect(() => readPageSignIn({ SIGN_IN_CLIENT_ID: 'client' })).toThrow(
      new ConfigurationError(
        'environment variable SIGN_IN_AUTHORIZE_URL is required when SIGN_IN_CLIENT_ID is set',
      ),
    );
  });

  it('refuses an endpoint that is not https (http only on loopback)', () => {
    const env = {
      SIGN_IN_CLIENT_ID: 'client',
      SIGN_IN_AUTHORIZE_URL: 'http://issuer.example.com/authorize',
      SIGN_IN_TOKEN_URL: 'http://127.0.0.1:9000/token',
    };

    expect(() => readPageSignIn(env)).toThrow(
      'SIGN_IN_AUTHORIZE_URL must be an https URL; received "http://issuer.example.com/authorize"',
    );
    expect(
      readPageSignIn({ ...env, SIGN_IN_AUTHORIZE_URL: 'http://localhost:9000/authorize' }),
    ).toBeDefined();
  });
});
