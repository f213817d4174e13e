import { join } from 'node:path';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  type HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { PUBLIC_ROUTE_KEYS } from '../lambda/page-sign-in';
import { BrowserSignIn } from './browser-sign-in';
import { LAMBDA_BUNDLING } from './bundling';
import { readAuthSettings, readContextFlag } from './context';
import { Ingest } from './ingest';
import { addServiceAlarms } from './service-alarms';

export { readContextFlag } from './context';

const PROJECT_ROOT = join(__dirname, '..');
const LOG_RETENTION = RetentionDays.ONE_MONTH;
// A normal request takes tens of milliseconds; 10 s leaves room for the SDK's retries on
// throttling, and still fails well before API Gateway's 30 s integration limit.
const FUNCTION_TIMEOUT = Duration.seconds(10);

/**
 * The whole service in one stack: the counters table, the query Lambda, the HTTP API in front of
 * it (and in `-c auth=jwt` a second one for people, with sign-in), the ingest path, and the logs
 * and alarms to run it. Context: `auth` (`iam`, `jwt` or `none`, see lib/context.ts) and `demo`
 * (delete the table with the stack).
 */
export class EventCountsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const demo = readContextFlag(this, 'demo');
    const auth = readAuthSettings(this);

    // Key schema and billing mode match ensureTable in core/counter-store.ts, which creates the
    // same table on DynamoDB Local. The counters are the product's data and cost a full reload to
    // rebuild, so the table outlives `cdk destroy` and refuses `delete-table` unless the stack is a
    // throwaway demo.
    const table = new Table(this, 'CountersTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !demo,
      removalPolicy: demo ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    // Logs are operational data with a retention period; they go with the stack.
    const functionLogs = new LogGroup(this, 'ApiFunctionLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Written by hand instead of the managed AWSLambdaBasicExecutionRole and table.grantReadData():
    // the handler's routes only Query (counters, time indexes, the customer directory) and GetItem
    // (one customer's directory entry, for a missing bound); they never scan or write the table.
    // A test runs every route and checks that these are exactly the operations issued. (Active
    // tracing adds the X-Ray write actions.)
    const role = new Role(this, 'ApiFunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description:
        'event-counts query function: GetItem and Query on the counters table, writes its log group',
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [functionLogs.logGroupArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [table.tableArn] }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions, so Lambda grants them on *; every other statement names its resource.',
    });

    const apiFunction = new NodejsFunction(this, 'ApiFunction', {
      description: 'event-counts HTTP API: hourly event counts from the counters table',
      entry: join(PROJECT_ROOT, 'lambda', 'api-handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // A request is one Query for the counters, at most two small time-index Queries and maybe a
      // GetItem: the function waits on DynamoDB rather than computing. 512 MB keeps cold starts
      // short (CPU scales with memory) at a low price per request, and the largest answer (366
      // days of hourly buckets, about 1 MB of JSON) fits easily.
      memorySize: 512,
      timeout: FUNCTION_TIMEOUT,
      // X-Ray traces of each invocation and its DynamoDB calls; the trace id is in every log line.
      // (HTTP APIs cannot trace: X-Ray supports API Gateway REST APIs only.)
      tracing: Tracing.ACTIVE,
      role,
      logGroup: functionLogs,
      environment: {
        TABLE_NAME: table.tableName,
        // Declared empty (which means AWS) so `sam local start-api --env-vars` can point the
        // function at DynamoDB Local: SAM only overrides variables the template declares.
        DYNAMODB_ENDPOINT: '',
        // Stack traces from the minified bundle point at the TypeScript sources.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: LAMBDA_BUNDLING,
    });
    Validations.of(apiFunction).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'API Gateway invokes the function synchronously: a failure is answered to the caller (and ' +
        'alarmed), and a dead-letter queue only ever receives asynchronous invocations.',
    });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // One JSON line per request, both APIs alike (`apiId` tells them apart); `caller` is the IAM
    // principal of a signed request, `subject` the `sub` of a bearer token.
    const accessLogSettings = {
      destination: new LogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          apiId: '$context.apiId',
          requestTime: '$context.requestTime',
          sourceIp: '$context.identity.sourceIp',
          caller: '$context.identity.userArn',
          subject: '$context.authorizer.claims.sub',
          method: '$context.httpMethod',
          path: '$context.path',
          status: '$context.status',
          responseLength: '$context.responseLength',
          latencyMs: '$context.responseLatency',
          integrationLatencyMs: '$context.integrationLatency',
          integrationError: '$context.integrationErrorMessage',
          authorizerError: '$context.authorizer.error',
        }),
      ),
    };
    // Caps what one runaway client can cost: every request is a few on-demand reads.
    const throttle = { rateLimit: 50, burstLimit: 100 };

    // The API of machine clients. The handler does its own routing (404 and 405 included), so
    // every path and method goes to it through the `$default` route; new routes need no change
    // here. SigV4 (IAM) authorization, also in `jwt` mode: signing clients keep their URL and
    // credentials whatever people sign in with; only `-c auth=none` opens it.
    const api = new HttpApi(this, 'HttpApi', {
      description: 'event-counts: GET /v1/customers/{customer_id}/event_counts and /total_events',
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', apiFunction),
      defaultAuthorizer: auth.mode === 'none' ? undefined : new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    if (auth.mode === 'none') {
      Validations.of(api).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          '-c auth=none deploys a deliberately public demo, throttled to 50 requests/s; the default is IAM.',
      });
    }
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      autoDeploy: true,
      throttle,
      accessLogSettings,
    });
    const stages: Record<string, HttpStage> = { Api: stage };
    let pageUrl: string | undefined = auth.mode === 'none' ? stage.url : undefined;
    let signIn: BrowserSignIn | undefined;

    if (auth.mode === 'jwt') {
      // The API of people: the same function, with a JWT authorizer on `$default`. One route has
      // one authorizer, so browsers get their own API rather than making machine clients fetch
      // tokens; the page and its OpenAPI document load without a token, to sign in from there.
      const browserApi = new HttpApi(this, 'BrowserHttpApi', {
        description: 'event-counts for people: the usage page at / signs in, then calls with a bearer JWT',
        createDefaultStage: false,
      });
      const browserStage = new HttpStage(this, 'BrowserStage', {
        httpApi: browserApi,
        autoDeploy: true,
        throttle,
        accessLogSettings,
      });
      // The `$default` stage's URL, written out: the sign-in needs it before the routes exist.
      pageUrl = `https://${browserApi.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/`;
      signIn = new BrowserSignIn(this, 'BrowserSignIn', {
        pageUrl,
        demo,
        issuer: auth.issuer,
        domainPrefix: auth.domainPrefix,
      });
      const integration = new HttpLambdaIntegration('BrowserIntegration', apiFunction);
      new HttpRoute(this, 'BrowserDefaultRoute', {
        httpApi: browserApi,
        routeKey: HttpRouteKey.DEFAULT,
        integration,
        authorizer: signIn.authorizer,
      });
      for (const routeKey of PUBLIC_ROUTE_KEYS) {
        const [method = '', path = ''] = routeKey.split(' ');
        for (const route of browserApi.addRoutes({ path, methods: [method as HttpMethod], integration })) {
          Validations.of(route).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason:
              'The usage page and its OpenAPI document load without a token so a person can sign in ' +
              'from there; both are static and read no data. Every other route needs a JWT.',
          });
        }
      }
      for (const [name, value] of Object.entries(signIn.environment)) apiFunction.addEnvironment(name, value);
      stages.BrowserApi = browserStage;
    }

    const alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'event-counts alarms',
      enforceSSL: true,
    });
    addServiceAlarms(this, {
      topic: alarmTopic,
      apiFunction,
      functionTimeout: FUNCTION_TIMEOUT,
      table,
      stages,
    });

    // S3 → SQS → Lambda ingest of CSV objects put under incoming/ (lib/ingest.ts).
    const ingest = new Ingest(this, 'Ingest', { table, alarmTopic });

    new CfnOutput(this, 'ApiUrl', {
      description: {
        iam: 'Base URL of the HTTP API (requests must be SigV4-signed for execute-api)',
        jwt: 'Base URL of the HTTP API for machine clients (requests must be SigV4-signed for execute-api)',
        none: 'Base URL of the HTTP API (public: no authorization)',
      }[auth.mode],
      value: stage.url,
    });
    if (pageUrl !== undefined) {
      new CfnOutput(this, 'PageUrl', {
        description:
          auth.mode === 'jwt'
            ? 'The usage page: open it in a browser and sign in (API calls there need a bearer token)'
            : 'The usage page: open it in a browser',
        value: pageUrl,
      });
    }
    if (signIn?.userPool !== undefined) {
      new CfnOutput(this, 'UserPoolId', {
        description:
          'Cognito user pool of the people who may sign in; add them with aws cognito-idp admin-create-user',
        value: signIn.userPool.userPoolId,
      });
    }
    new CfnOutput(this, 'TableName', {
      description: 'Counters table; load it with npm run load -- <file> --table <this> --region <region>',
      value: table.tableName,
    });
    new CfnOutput(this, 'IngestBucketName', {
      description:
        'Ingest bucket: aws s3 cp <file> s3://<this>/incoming/ counts its events; reports under reports/',
      value: ingest.bucket.bucketName,
    });
    new CfnOutput(this, 'IngestQueueUrl', {
      description: 'Ingest queue: its ApproximateNumberOfMessages is the work waiting',
      value: ingest.queue.queueUrl,
    });
    new CfnOutput(this, 'IngestDeadLetterQueueUrl', {
      description:
        'Ingest messages that failed every receive (alarmed); after fixing the cause, redrive them to the queue',
      value: ingest.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'IngestLogGroupName', {
      description:
        "Ingest function's log group (each object's report is a JSON line): aws logs tail <this> --follow",
      value: ingest.logGroup.logGroupName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic the alarms notify; subscribe to it to receive them',
      value: alarmTopic.topicArn,
    });
  }
}
