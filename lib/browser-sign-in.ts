import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  UserPool,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { PAGE_SIGN_IN_ENV } from '../lambda/page-sign-in';
import type { ExistingIssuer } from './context';

export interface BrowserSignInProps {
  /** The usage page's URL: the only redirect and sign-out URL the sign-in accepts. */
  pageUrl: string;
  /** A throwaway stack: the user pool goes with it. */
  demo: boolean;
  /** Trust this issuer instead of creating a user pool. */
  issuer?: ExistingIssuer;
  /** The Cognito domain prefix (`<prefix>.auth.<region>.amazoncognito.com`); default `<stack>-<account>`. */
  domainPrefix?: string;
}

/**
 * How people sign in to the usage page in `-c auth=jwt`: by default a Cognito user pool with its
 * hosted sign-in pages and a public app client for the page (authorization code with PKCE), or
 * an existing OIDC issuer given by context. Gives the JWT authorizer for the browser API's routes
 * and the Lambda environment that tells the page where to sign in.
 */
export class BrowserSignIn extends Construct {
  /** The HTTP API JWT authorizer: issuer, signature, expiry and audience checked by API Gateway. */
  readonly authorizer: IHttpRouteAuthorizer;
  /** The `SIGN_IN_*` variables lambda/page-sign-in.ts reads. */
  readonly environment: Record<string, string>;
  /** The user pool the stack created (to add people to), when no issuer was given. */
  readonly userPool?: UserPool;

  constructor(scope: Construct, id: string, { pageUrl, demo, issuer, domainPrefix }: BrowserSignInProps) {
    super(scope, id);
    if (issuer !== undefined) {
      this.authorizer = new HttpJwtAuthorizer('PageAuthorizer', issuer.issuer, {
        jwtAudience: issuer.audience,
      });
      this.environment = environmentOf(issuer);
      return;
    }

    // People are added by an administrator (no self sign-up): the counts are customers' usage.
    const userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // An authenticator app at every sign-in; the hosted pages walk a new user through adding one.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      // Like the table: accounts survive `cdk destroy` and deletion needs a deliberate step, unless demo.
      deletionProtection: !demo,
      removalPolicy: demo ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    const domain = userPool.addDomain('SignInDomain', {
      cognitoDomain: {
        domainPrefix: domainPrefix ?? `${Stack.of(this).stackName.toLowerCase()}-${Aws.ACCOUNT_ID}`,
      },
    });
    // A public client (no secret: a browser cannot keep one), hosted sign-in pages only.
    const client = userPool.addClient('PageClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID],
        callbackUrls: [pageUrl],
        logoutUrls: [pageUrl],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      // The page keeps only the access token, for at most an hour, and signs in again after it;
      // the refresh token Cognito also returns is never stored, so it lives as briefly as allowed.
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(1),
    });
    this.authorizer = new HttpUserPoolAuthorizer('PageAuthorizer', userPool, { userPoolClients: [client] });
    const base = domain.baseUrl();
    this.environment = environmentOf({
      clientId: client.userPoolClientId,
      authorizeUrl: `${base}/oauth2/authorize`,
      tokenUrl: `${base}/oauth2/token`,
      scopes: ['openid'],
      logoutUrl: `${base}/logout?client_id=${client.userPoolClientId}&logout_uri=${pageUrl}`,
    });
    this.userPool = userPool;

    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection needs the Plus feature plan, billed per monthly active user: here only ' +
        'an administrator creates accounts, every sign-in needs an authenticator app code, and the ' +
        'passwords are long; the Essentials plan covers that.',
    });
  }
}

function environmentOf(signIn: Omit<ExistingIssuer, 'issuer' | 'audience'>): Record<string, string> {
  return {
    [PAGE_SIGN_IN_ENV.clientId]: signIn.clientId,
    [PAGE_SIGN_IN_ENV.authorizeUrl]: signIn.authorizeUrl,
    [PAGE_SIGN_IN_ENV.tokenUrl]: signIn.tokenUrl,
    [PAGE_SIGN_IN_ENV.scopes]: signIn.scopes.join(' '),
    ...(signIn.logoutUrl === undefined ? {} : { [PAGE_SIGN_IN_ENV.logoutUrl]: signIn.logoutUrl }),
  };
}
