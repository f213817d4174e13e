import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore } from '../../core/counter-store';
import { createRouter } from '../../lambda/routes';
import { EventCountsStack } from '../../lib/event-counts-stack';
import { loadEvents } from '../../loader/load-events';
import { apiEvent } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };
interface Synthesized {
  stack: Stack;
  template: Template;
  outdir: string;
}

// Every synthesis bundles the handler with esbuild (about a second), so each context is
// synthesized once, and only the default one bundles: the flags change no function code.
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

// The context `cdk synth` runs with (feature flags), plus the flags under test.
const CDK_JSON_CONTEXT = JSON.parse(readFileSync('cdk.json', 'utf8')).context as Record<string, unknown>;

// An existing OIDC issuer, as `-c authIssuer=... -c authClientId=...` give it.
const ISSUER_CONTEXT = {
  auth: 'jwt',
  authIssuer: 'https://login.example.com/tenant/',
  authClientId: 'page-client',
  authAudience: 'https://api.example.com,page-client',
  authAuthorizeUrl: 'https://login.example.com/tenant/authorize',
  authTokenUrl: 'https://login.example.com/tenant/oauth/token',
  authScopes: 'openid profile',
};

function synthesize(context: Record<string, unknown>): Synthesized {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = new EventCountsStack(app, 'EventCounts');
  return { stack, template: Template.fromStack(stack), outdir: app.outdir };
}

function onlyResource(template: Template, type: string): [string, Resource] {
  const resources = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(resources).toHaveLength(1);
  return resources[0] as [string, Resource];
}

/** The resources of `type` whose logical id starts with `prefix`. */
function resourcesNamed(template: Template, type: string, prefix: string): [string, Resource][] {
  return (Object.entries(template.findResources(type)) as [string, Resource][]).filter(([id]) =>
    id.startsWith(prefix),
  );
}

interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

/** The statements of the query function's role (the ingest function has a role of its own). */
function apiPolicyStatements(template: Template): Statement[] {
  return resourcesNamed(template, 'AWS::IAM::Policy', 'ApiFunctionRole').flatMap(
    ([, policy]) =>
      (policy.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement,
  );
}

/** The route of `api` with `routeKey`. */
function route(template: Template, apiId: string, routeKey: string): Resource {
  const routes = (Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as Resource[]).filter(
    (candidate) =>
      JSON.stringify(candidate.Properties.ApiId) === JSON.stringify({ Ref: apiId }) &&
      candidate.Properties.RouteKey === routeKey,
  );
  expect(routes).toHaveLength(1);
  return routes[0] as Resource;
}

/** The API alarms: all but those of the ingest construct (test/infra/ingest.test.ts has them). */
function apiAlarms(template: Template): [string, Resource][] {
  return (Object.entries(template.findResources('AWS::CloudWatch::Alarm')) as [string, Resource][]).filter(
    ([id]) => !id.startsWith('Ingest'),
  );
}

function alarmNamed(template: Template, id: string): Resource {
  const found = apiAlarms(template).filter(([logicalId]) => logicalId.startsWith(id));
  expect(found).toHaveLength(1);
  return (found[0] as [string, Resource])[1];
}

function functionEnvironment(template: Template): Record<string, unknown> {
  const [, fn] = resourcesNamed(template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [string, Resource];
  return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
}

describe('EventCountsStack', () => {
  let defaults: Synthesized;
  let demo: Synthesized;
  let open: Synthesized;
  let aliased: Synthesized;
  let jwt: Synthesized;
  let issuer: Synthesized;

  beforeAll(() => {
    defaults = synthesize({});
    demo = synthesize({ ...SKIP_BUNDLING, demo: 'true' }); // as `-c demo=true` passes it
    open = synthesize({ ...SKIP_BUNDLING, auth: 'none' });
    aliased = synthesize({ ...SKIP_BUNDLING, publicApi: true }); // as an old cdk.json would hold it
    jwt = synthesize({ ...SKIP_BUNDLING, auth: 'jwt' });
    issuer = synthesize({ ...SKIP_BUNDLING, ...ISSUER_CONTEXT });
  }, 180_000);

  afterAll(() => {
    for (const synthesized of [defaults, demo, open, aliased, jwt, issuer]) {
      if (synthesized !== undefined) rmSync(synthesized.outdir, { recursive: true, force: true });
    }
  });

  describe('the counters table', () => {
    it('has the key schema and billing mode of the store, point-in-time recovery and deletion protection', () => {
      const [, table] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      expect(table.Properties).toEqual({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
    });

    it('matches the table ensureTable creates on DynamoDB Local', async () => {
      const [, table] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const local: TestTable = await createTestTable('stack-schema');
      const client = createDynamoDbClient({ endpoint: local.endpoint });
      try {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: local.tableName }));
        expect(Table?.KeySchema).toEqual(table.Properties.KeySchema);
        expect(Table?.AttributeDefinitions).toEqual(table.Properties.AttributeDefinitions);
        expect(Table?.BillingModeSummary?.BillingMode).toBe(table.Properties.BillingMode);
      } finally {
        client.destroy();
        await local.drop();
      }
    });

    it('is retained when the stack is deleted, and cannot be deleted while protected, by default', () => {
      const [, table] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      const [, publicTable] = onlyResource(open.template, 'AWS::DynamoDB::Table');
      expect(publicTable.Properties.DeletionProtectionEnabled).toBe(true);
    });

    it('is deleted with the stack, unprotected, with -c demo=true', () => {
      const [, table] = onlyResource(demo.template, 'AWS::DynamoDB::Table');
      expect(table).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    });
  });

  describe('the query function', () => {
    it('runs Node.js 24 on arm64, traced, with the memory, timeout and environment it was sized for', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const [, fn] = resourcesNamed(defaults.template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [
        string,
        Resource,
      ];
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 10,
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            TABLE_NAME: { Ref: tableId },
            DYNAMODB_ENDPOINT: '',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
      expect(
        Object.keys(functionEnvironment(defaults.template)).some((name) => name.startsWith('SIGN_IN_')),
      ).toBe(false);
    });

    it('may only read this table with GetItem and Query, write its own log group and send traces', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const [, fn] = resourcesNamed(defaults.template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [
        string,
        Resource,
      ];
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(apiPolicyStatements(defaults.template)).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
        },
        {
          Action: ['dynamodb:GetItem', 'dynamodb:Query'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        },
        // Active tracing; X-Ray's write actions have no resource-level permissions.
        { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' },
      ]);
      const [, role] = resourcesNamed(defaults.template, 'AWS::IAM::Role', 'ApiFunctionRole')[0] as [
        string,
        Resource,
      ];
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('keeps its logs for 30 days', () => {
      const [, fn] = resourcesNamed(defaults.template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [
        string,
        Resource,
      ];
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(defaults.template.toJSON().Resources[logGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    });
  });

  describe('the HTTP API (machine clients)', () => {
    it('sends every path and method to the function with payload format 2.0', () => {
      const [functionId] = resourcesNamed(defaults.template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [
        string,
        Resource,
      ];
      const [apiId] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Api');
      const [integrationId, integration] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Integration');
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
      expect(route(defaults.template, apiId, '$default').Properties).toMatchObject({
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    });

    it('requires IAM (SigV4) authorization by default, also with -c demo=true', () => {
      const [, defaultRoute] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Route');
      expect(defaultRoute.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(onlyResource(demo.template, 'AWS::ApiGatewayV2::Route')[1].Properties.AuthorizationType).toBe(
        'AWS_IAM',
      );
    });

    it('is open to anyone with -c auth=none, its table still retained', () => {
      const [, openRoute] = onlyResource(open.template, 'AWS::ApiGatewayV2::Route');
      expect(openRoute.Properties.AuthorizationType).toBe('NONE');
      const [, table] = onlyResource(open.template, 'AWS::DynamoDB::Table');
      expect(table.DeletionPolicy).toBe('Retain');
    });

    it('still reads -c publicApi=true as -c auth=none, with a deprecation warning', () => {
      expect(aliased.template.toJSON().Resources).toEqual(open.template.toJSON().Resources);
      Annotations.fromStack(aliased.stack).hasWarning(
        '/EventCounts',
        Match.stringLikeRegexp('-c publicApi=true is deprecated.*-c auth=none'),
      );
    });

    it('keeps IAM for machine clients with -c auth=jwt, at the same logical ids', () => {
      const [apiId] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Api');
      expect(jwt.template.toJSON().Resources[apiId]).toEqual(defaults.template.toJSON().Resources[apiId]);
      expect(route(jwt.template, apiId, '$default').Properties.AuthorizationType).toBe('AWS_IAM');
    });

    it('throttles the stage and writes JSON access logs kept for 30 days', () => {
      const [, stage] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Stage');
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      });
      const settings = stage.Properties.AccessLogSettings as {
        DestinationArn: { 'Fn::GetAtt': [string, string] };
        Format: string;
      };
      expect(JSON.parse(settings.Format)).toMatchObject({
        requestId: '$context.requestId',
        apiId: '$context.apiId',
        caller: '$context.identity.userArn',
        subject: '$context.authorizer.claims.sub',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        authorizerError: '$context.authorizer.error',
      });
      const accessLogGroupId = settings.DestinationArn['Fn::GetAtt'][0];
      expect(defaults.template.toJSON().Resources[accessLogGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    });
  });

  describe('the API for people with -c auth=jwt (Cognito user pool)', () => {
    const browserApiId = () =>
      resourcesNamed(jwt.template, 'AWS::ApiGatewayV2::Api', 'BrowserHttpApi')[0]?.[0] ?? '';
    const userPoolId = () => onlyResource(jwt.template, 'AWS::Cognito::UserPool')[0];
    const clientId = () => onlyResource(jwt.template, 'AWS::Cognito::UserPoolClient')[0];
    // The page's URL: the browser API's `$default` stage.
    const pageUrl = () => ({
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: browserApiId() },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/',
        ],
      ],
    });

    it('is a second HTTP API on the same function, throttled and logged like the first', () => {
      expect(Object.keys(jwt.template.findResources('AWS::ApiGatewayV2::Api'))).toHaveLength(2);
      const [functionId] = resourcesNamed(jwt.template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [
        string,
        Resource,
      ];
      const integrations = Object.values(
        jwt.template.findResources('AWS::ApiGatewayV2::Integration'),
      ) as Resource[];
      expect(integrations.map((integration) => integration.Properties.IntegrationUri)).toEqual([
        { 'Fn::GetAtt': [functionId, 'Arn'] },
        { 'Fn::GetAtt': [functionId, 'Arn'] },
      ]);
      jwt.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: browserApiId() },
        StageName: '$default',
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('authorizer.claims.sub') }),
      });
    });

    it('serves the page and the OpenAPI document without a token, and everything else only with a JWT', () => {
      expect(route(jwt.template, browserApiId(), 'GET /').Properties.AuthorizationType).toBe('NONE');
      expect(route(jwt.template, browserApiId(), 'GET /openapi.json').Properties.AuthorizationType).toBe(
        'NONE',
      );
      const fallback = route(jwt.template, browserApiId(), '$default');
      expect(fallback.Properties.AuthorizationType).toBe('JWT');
      const [authorizerId, authorizer] = onlyResource(jwt.template, 'AWS::ApiGatewayV2::Authorizer');
      expect(fallback.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      expect(authorizer.Properties).toMatchObject({
        ApiId: { Ref: browserApiId() },
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: {
          Audience: [{ Ref: clientId() }],
          Issuer: {
            'Fn::Join': [
              '',
              ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: userPoolId() }],
            ],
          },
        },
      });
    });

    it('creates a user pool people are added to by an administrator, with required MFA, kept like the table', () => {
      const [, pool] = onlyResource(jwt.template, 'AWS::Cognito::UserPool');
      expect(pool).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(pool.Properties).toMatchObject({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        UsernameAttributes: ['email'],
        DeletionProtection: 'ACTIVE',
        UserPoolTier: 'ESSENTIALS',
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireSymbols: true } },
      });
    });

    it('gives the page a public client: authorization code only, its own URL as the only redirect', () => {
      const [, client] = onlyResource(jwt.template, 'AWS::Cognito::UserPoolClient');
      expect(client.Properties).toMatchObject({
        GenerateSecret: false,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid'],
        CallbackURLs: [pageUrl()],
        LogoutURLs: [pageUrl()],
        SupportedIdentityProviders: ['COGNITO'],
        PreventUserExistenceErrors: 'ENABLED',
        AccessTokenValidity: 60,
      });
      jwt.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
        Domain: { 'Fn::Join': ['', ['eventcounts-', { Ref: 'AWS::AccountId' }]] },
        UserPoolId: { Ref: userPoolId() },
      });
    });

    it('tells the page where to sign in through the function environment', () => {
      const environment = functionEnvironment(jwt.template);
      expect(environment).toMatchObject({
        SIGN_IN_CLIENT_ID: { Ref: clientId() },
        SIGN_IN_SCOPES: 'openid',
      });
      for (const [name, path] of [
        ['SIGN_IN_AUTHORIZE_URL', '/oauth2/authorize'],
        ['SIGN_IN_TOKEN_URL', '/oauth2/token'],
        ['SIGN_IN_LOGOUT_URL', '/logout?client_id='],
      ] as const) {
        const url = JSON.stringify(environment[name]);
        expect({ name, url }).toEqual({ name, url: expect.stringContaining('.auth.') });
        expect(url).toContain(path);
      }
    });

    it('deletes the user pool with the stack only with -c demo=true', () => {
      const demoJwt = synthesize({ ...SKIP_BUNDLING, auth: 'jwt', demo: 'true' });
      try {
        const [, pool] = onlyResource(demoJwt.template, 'AWS::Cognito::UserPool');
        expect(pool).toMatchObject({ DeletionPolicy: 'Delete' });
        expect(pool.Properties.DeletionProtection).toBe('INACTIVE');
      } finally {
        rmSync(demoJwt.outdir, { recursive: true, force: true });
      }
    });

    it('outputs the page URL and the user pool id', () => {
      const outputs = jwt.template.toJSON().Outputs;
      expect(outputs.PageUrl.Value).toEqual(pageUrl());
      expect(outputs.UserPoolId.Value).toEqual({ Ref: userPoolId() });
    });
  });

  describe('the API for people with -c auth=jwt and an existing issuer', () => {
    it('trusts the issuer and audiences given, and creates no user pool', () => {
      issuer.template.resourceCountIs('AWS::Cognito::UserPool', 0);
      const [, authorizer] = onlyResource(issuer.template, 'AWS::ApiGatewayV2::Authorizer');
      expect(authorizer.Properties.JwtConfiguration).toEqual({
        Issuer: 'https://login.example.com/tenant/',
        Audience: ['https://api.example.com', 'page-client'],
      });
      expect(issuer.template.toJSON().Outputs.UserPoolId).toBeUndefined();
    });

    it('tells the page the client and endpoints given', () => {
      expect(functionEnvironment(issuer.template)).toMatchObject({
        SIGN_IN_CLIENT_ID: 'page-client',
        SIGN_IN_AUTHORIZE_URL: 'https://login.example.com/tenant/authorize',
        SIGN_IN_TOKEN_URL: 'https://login.example.com/tenant/oauth/token',
        SIGN_IN_SCOPES: 'openid profile',
      });
      expect(functionEnvironment(issuer.template).SIGN_IN_LOGOUT_URL).toBeUndefined();
    });
  });

  describe('the alarms', () => {
    const topicOf = (template: Template) => ({ Ref: onlyResource(template, 'AWS::SNS::Topic')[0] });

    it('notify the topic when they fire and when they are OK again, and stay OK without traffic', () => {
      const alarms = apiAlarms(defaults.template);
      expect(alarms.length).toBeGreaterThan(0);
      for (const [id, alarm] of alarms) {
        expect({ id, ...alarm.Properties }).toMatchObject({
          id,
          AlarmActions: [topicOf(defaults.template)],
          OKActions: [topicOf(defaults.template)],
          TreatMissingData: 'notBreaching',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
      }
    });

    it('watch the function for errors and Lambda throttles in any 5 minutes', () => {
      expect(alarmNamed(defaults.template, 'ApiFunctionErrorsAlarm').Properties).toMatchObject({
        MetricName: 'Errors',
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
      });
      expect(alarmNamed(defaults.template, 'ApiFunctionThrottlesAlarm').Properties).toMatchObject({
        MetricName: 'Throttles',
        Namespace: 'AWS/Lambda',
        Threshold: 1,
      });
    });

    it('watch the p99 function duration against half the 10 s timeout, in 2 of 3 periods', () => {
      expect(alarmNamed(defaults.template, 'ApiFunctionDurationAlarm').Properties).toMatchObject({
        MetricName: 'Duration',
        Namespace: 'AWS/Lambda',
        ExtendedStatistic: 'p99',
        Period: 300,
        Threshold: 5000,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
      });
    });

    it('watch 5xx answers and the p99 latency of every API stage', () => {
      const [apiId] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Api');
      const dimensions = Match.arrayWith([{ Name: 'ApiId', Value: { Ref: apiId } }]);
      expect(alarmNamed(defaults.template, 'Api5xxAlarm').Properties).toMatchObject({
        MetricName: '5xx',
        Namespace: 'AWS/ApiGateway',
        Statistic: 'Sum',
        Threshold: 5,
      });
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: '5xx',
        Dimensions: dimensions,
      });
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'Latency',
        Namespace: 'AWS/ApiGateway',
        ExtendedStatistic: 'p99',
        Threshold: 5000,
        Dimensions: dimensions,
      });
      const browserApiId = resourcesNamed(jwt.template, 'AWS::ApiGatewayV2::Api', 'BrowserHttpApi')[0]?.[0];
      for (const metricName of ['5xx', 'Latency']) {
        jwt.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: metricName,
          Dimensions: Match.arrayWith([{ Name: 'ApiId', Value: { Ref: browserApiId } }]),
        });
      }
    });

    it("watch DynamoDB's internal errors on the counters table for every operation the service uses", () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const metrics = alarmNamed(defaults.template, 'TableSystemErrorsAlarm').Properties.Metrics as {
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: unknown }[] } };
      }[];
      const stats = metrics.flatMap((metric) =>
        metric.MetricStat === undefined ? [] : [metric.MetricStat.Metric],
      );
      expect(new Set(stats.map((metric) => metric.MetricName))).toEqual(new Set(['SystemErrors']));
      expect(
        stats
          .flatMap((metric) => metric.Dimensions.filter((d) => d.Name === 'Operation').map((d) => d.Value))
          .sort(),
      ).toEqual(['GetItem', 'PutItem', 'Query', 'TransactWriteItems', 'UpdateItem']);
      expect(JSON.stringify(stats)).toContain(JSON.stringify({ Name: 'TableName', Value: { Ref: tableId } }));
    });

    it("page on the query function's own throttled DynamoDB attempts, never on a load's", () => {
      expect(alarmNamed(defaults.template, 'ApiStoreThrottlesAlarm').Properties).toMatchObject({
        Namespace: 'EventCounts',
        MetricName: 'StoreThrottles',
        Dimensions: [{ Name: 'service', Value: 'event-counts' }],
        Statistic: 'Sum',
        Threshold: 10,
      });
      // The table's ThrottledRequests counts the loader's retried throttles too: no API alarm reads it.
      expect(JSON.stringify(apiAlarms(defaults.template))).not.toContain('ThrottledRequests');
    });

    it('are exactly these, and the same two more for the browser API with -c auth=jwt', () => {
      const ids = (template: Template) => apiAlarms(template).map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
      expect(ids(defaults.template).sort()).toEqual([
        'Api5xxAlarm',
        'ApiFunctionDurationAlarm',
        'ApiFunctionErrorsAlarm',
        'ApiFunctionThrottlesAlarm',
        'ApiLatencyAlarm',
        'ApiStoreThrottlesAlarm',
        'TableSystemErrorsAlarm',
      ]);
      expect(ids(jwt.template).sort()).toEqual(
        [...ids(defaults.template), 'BrowserApi5xxAlarm', 'BrowserApiLatencyAlarm'].sort(),
      );
    });
  });

  describe('the outputs', () => {
    it('give the API URL, the table name, the ingest bucket and the alarm topic', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const [apiId] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Api');
      const [topicId] = onlyResource(defaults.template, 'AWS::SNS::Topic');
      const outputs = defaults.template.toJSON().Outputs;
      expect(Object.keys(outputs).sort()).toEqual([
        'AlarmTopicArn',
        'ApiUrl',
        'IngestBucketName',
        'IngestDeadLetterQueueUrl',
        'IngestLogGroupName',
        'IngestQueueUrl',
        'TableName',
      ]);
      expect(outputs.TableName.Value).toEqual({ Ref: tableId });
      expect(outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId });
      expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(JSON.stringify({ Ref: apiId }));
      expect(JSON.stringify(outputs.ApiUrl.Value)).toContain('.execute-api.');
    });

    it('give the page URL, the API URL itself, with -c auth=none', () => {
      const outputs = open.template.toJSON().Outputs;
      expect(outputs.PageUrl.Value).toEqual(outputs.ApiUrl.Value);
    });
  });

  describe('context', () => {
    const synthesizeWith = (context: Record<string, unknown>) => () =>
      new EventCountsStack(new App({ context: { ...SKIP_BUNDLING, ...context } }), 'EventCounts');

    it('rejects a flag that is neither true nor false, naming it and the value', () => {
      expect(synthesizeWith({ demo: 'yes' })).toThrow(
        'context flag demo must be true or false (for example -c demo=true); received "yes"',
      );
    });

    it('rejects an unknown auth mode, naming the modes', () => {
      expect(synthesizeWith({ auth: 'cognito' })).toThrow(
        'context auth must be iam, jwt or none (for example -c auth=jwt); received "cognito"',
      );
    });

    it('rejects -c publicApi=true together with another auth mode', () => {
      expect(synthesizeWith({ publicApi: 'true', auth: 'iam' })).toThrow(
        '-c publicApi=true contradicts -c auth=iam: publicApi is now -c auth=none; drop one',
      );
    });

    it('rejects sign-in options outside -c auth=jwt', () => {
      expect(synthesizeWith({ authIssuer: 'https://login.example.com/' })).toThrow(
        'context authIssuer only applies with -c auth=jwt (auth is iam)',
      );
    });

    it('rejects an issuer given without the client and endpoints the page needs', () => {
      expect(synthesizeWith({ auth: 'jwt', authIssuer: 'https://login.example.com/' })).toThrow(
        '-c authIssuer needs -c authClientId too',
      );
      expect(synthesizeWith({ ...ISSUER_CONTEXT, authTokenUrl: undefined })).toThrow(
        '-c authIssuer needs -c authTokenUrl too',
      );
      expect(synthesizeWith({ ...ISSUER_CONTEXT, authIssuer: 'http://login.example.com/' })).toThrow(
        'context authIssuer must be an https URL; received "http://login.example.com/"',
      );
      expect(synthesizeWith({ auth: 'jwt', authClientId: 'page-client' })).toThrow(
        'context authClientId describes an existing issuer: give -c authIssuer=<issuer URL> too',
      );
    });
  });

  describe('cdk-nag', () => {
    // The whole stack, the ingest construct (lib/ingest.ts) and the bucket notifications handler
    // CDK adds for it included: each construct acknowledges its own findings.
    it.each([
      ['the default (auth=iam)', () => defaults],
      ['-c auth=jwt', () => jwt],
      ['-c auth=jwt with an existing issuer', () => issuer],
      ['-c auth=none', () => open],
      ['-c demo=true', () => demo],
    ])(
      'finds nothing unacknowledged in the AwsSolutions and Serverless packs with %s',
      (_case, synthesized) => {
        const { stack } = synthesized();
        const findings = [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
          pack
            .validateScope(stack)
            .violations.flatMap((violation) =>
              violation.violatingResources.map(
                (resource) =>
                  `${violation.ruleName} ${resource.constructPath ?? resource.resourceLogicalId ?? ''}`,
              ),
            ),
        );
        expect(findings).toEqual([]);
      },
    );

    it('acknowledges each finding with a reason', () => {
      const acknowledged = jwt.stack.node
        .findAll()
        .flatMap((construct) =>
          construct.node.metadata
            .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
            .flatMap((entry) => Object.entries(entry.data as Record<string, { reason?: string } | string>)),
        );
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const [id, value] of acknowledged) {
        const reason = typeof value === 'string' ? value : (value.reason ?? '');
        expect({ id, reason }).toEqual({ id, reason: expect.stringMatching(/\w{3,}.{40,}/) });
      }
    });
  });

  describe('the query function on DynamoDB Local', () => {
    let table: TestTable;
    let bundle: string;

    beforeAll(async () => {
      const [, fn] = resourcesNamed(defaults.template, 'AWS::Lambda::Function', 'ApiFunction')[0] as [
        string,
        Resource,
      ];
      const key = (fn.Properties.Code as { S3Key: string }).S3Key;
      bundle = join(defaults.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.js');
      table = await createTestTable('stack-function');
      const csv = [
        'c1,INGEST,t1,2021-03-01 04:10:00+00',
        'c1,INGEST,t2,2021-03-01 04:20:00+00',
        'c1,INGEST,t3,2021-03-01 05:30:00+00',
        'c1,INGEST,t4,2021-03-01 05:50:00+00',
      ].join('\n');
      await loadEvents({ store: table.store, input: Readable.from([csv]), source: 'fixture.csv' });
    });

    afterAll(() => table?.drop());

    it('is granted exactly the DynamoDB operations the API routes issue', async () => {
      const client = createDynamoDbClient({ endpoint: table.endpoint });
      const issued = new Set<string>();
      // IAM names DynamoDB actions after the API operations: QueryCommand needs dynamodb:Query.
      client.middlewareStack.add(
        (next, context) => (args) => {
          issued.add(`dynamodb:${String(context.commandName).replace(/Command$/, '')}`);
          return next(args);
        },
        { step: 'initialize', name: 'recordOperations' },
      );
      const router = createRouter(createCounterStore({ client, tableName: table.tableName }));
      const requests: [string, Record<string, string>][] = [
        ['/', {}],
        ['/openapi.json', {}],
        ['/v1/customers', {}],
        // Partial first and last hours: counters and both edge hours' time indexes.
        [
          '/v1/customers/c1/event_counts',
          { starting_at: '2021-03-01T04:15:00Z', ending_before: '2021-03-01T05:45:00Z' },
        ],
        // A missing bound comes from the customer's directory entry.
        ['/v1/customers/c1/event_counts', { starting_at: '2021-03-01T04:15:00Z' }],
        ['/v1/customers/c1/total_events', {}],
      ];
      try {
        for (const [path, query] of requests) {
          const response = await router(apiEvent(path, query, { requestId: 'request' }), 'request');
          expect({ path, query, status: response.statusCode }).toEqual({ path, query, status: 200 });
        }
      } finally {
        client.destroy();
      }
      const granted = apiPolicyStatements(defaults.template)
        .flatMap((statement) => statement.Action)
        .filter((action) => action.startsWith('dynamodb:'));
      expect([...issued].sort()).toEqual(granted.sort());
    });

    it('is bundled minified, with a source map, under 500 KB', () => {
      const code = readFileSync(bundle, 'utf8');
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
      expect(statSync(`${bundle}.map`).size).toBeGreaterThan(0);
      expect(statSync(bundle).size).toBeLessThan(500 * 1024);
    });

    it('answers from its bundle, logging JSON with cold start, request and trace ids, and publishing metrics', async () => {
      const path = '/v1/customers/c1/event_counts';
      const query = { starting_at: '2021-03-01T04:15:00Z', ending_before: '2021-03-01T05:45:00Z' };
      const context = {
        awsRequestId: 'lambda-request-1',
        functionName: 'EventCounts-ApiFunction',
        getRemainingTimeInMillis: () => 10_000,
      };
      const script =
        'const context = JSON.parse(process.argv[3]); context.getRemainingTimeInMillis = () => 10000;' +
        'require(process.argv[1]).handler(JSON.parse(process.argv[2]), context)' +
        ".then((response) => console.log('RESPONSE ' + JSON.stringify(response)))";
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--enable-source-maps',
          '-e',
          script,
          bundle,
          JSON.stringify(apiEvent(path, query, { requestId: 'api-request-1' })),
          JSON.stringify(context),
        ],
        {
          env: {
            ...process.env,
            TABLE_NAME: table.tableName,
            DYNAMODB_ENDPOINT: table.endpoint,
            // What Lambda sets for an on-demand container with active tracing.
            AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
            _X_AMZN_TRACE_ID: 'Root=1-5e1b4151-5ac6c58f5b5dbd6a5e1b4151;Parent=53995c3f42cd8ad8;Sampled=1',
          },
        },
      );
      const lines = stdout.trim().split('\n');
      const responseLine = lines.find((line) => line.startsWith('RESPONSE ')) ?? '';
      const response = JSON.parse(responseLine.slice('RESPONSE '.length));
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        total: 2,
        buckets: [
          { starting_at: '2021-03-01T04:15:00.000Z', ending_before: '2021-03-01T05:00:00.000Z', count: 1 },
          { starting_at: '2021-03-01T05:00:00.000Z', ending_before: '2021-03-01T05:45:00.000Z', count: 1 },
        ],
      });
      const json = lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
      expect(json.filter((line) => line.message === 'request')).toEqual([
        expect.objectContaining({
          level: 'INFO',
          service: 'event-counts',
          cold_start: true,
          function_request_id: 'lambda-request-1',
          xray_trace_id: '1-5e1b4151-5ac6c58f5b5dbd6a5e1b4151',
          requestId: 'lambda-request-1',
          apiRequestId: 'api-request-1',
          method: 'GET',
          path,
          route: '/v1/customers/{customer_id}/event_counts',
          status: 200,
          latencyMs: expect.any(Number),
        }),
      ]);
      expect(json).toContainEqual(
        expect.objectContaining({
          route: '/v1/customers/{customer_id}/event_counts',
          status: '200',
          Requests: 1,
          Latency: expect.any(Number),
          _aws: expect.objectContaining({
            CloudWatchMetrics: [expect.objectContaining({ Namespace: 'EventCounts' })],
          }),
        }),
      );
      expect(json).toContainEqual(expect.objectContaining({ ColdStart: 1 }));
    });
  });
});
