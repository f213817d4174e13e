import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, Operation, Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

const PROJECT_ROOT = join(__dirname, '..');
const ALARM_PERIOD = Duration.minutes(5);
const LOG_RETENTION = RetentionDays.ONE_MONTH;

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

/**
 * The whole service in one stack: the counters table, the query Lambda, an HTTP API in front of it,
 * and the logs and alarms to run it. Context flags: `demo` (delete the table with the stack) and
 * `publicApi` (no IAM authorization on the API).
 */
export class EventCountsStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const demo = readContextFlag(this, 'demo');
    const publicApi = readContextFlag(this, 'publicApi');

    // Key schema and billing mode match ensureTable in core/counter-store.ts, which creates the
    // same table on DynamoDB Local. The counters are the product's data and cost a full reload to
    // rebuild, so the table outlives `cdk destroy` unless the stack is a throwaway demo.
    const table = new Table(this, 'CountersTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
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
    // A test runs every route and checks that these are exactly the operations issued.
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

    const apiFunction = new NodejsFunction(this, 'ApiFunction', {
      description: 'event-counts HTTP API: hourly event counts from the counters table',
      entry: join(PROJECT_ROOT, 'lambda', 'api-handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      // A request is one Query for the counters, at most two small time-index Queries and maybe a
      // GetItem: the function waits on DynamoDB rather than computing. 512 MB keeps cold starts
      // short (CPU scales with memory) at a low price per request, and the largest answer (366
      // days of hourly buckets, about 1 MB of JSON) fits easily.
      memorySize: 512,
      // A normal request takes tens of milliseconds; 10 s leaves room for the SDK's retries on
      // throttling, and still fails well before API Gateway's 30 s integration limit.
      timeout: Duration.seconds(10),
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
      bundling: {
        // Bundled on this machine by the esbuild in node_modules: no Docker needed.
        forceDockerBundling: false,
        target: 'node22',
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        // Ship the SDK version the tests ran against instead of the runtime's, tree-shaken.
        bundleAwsSDK: true,
        mainFields: ['module', 'main'],
        logLevel: LogLevel.WARNING,
      },
    });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The handler does its own routing (404 and 405 included), so every path and method goes to
    // it through the `$default` route; new routes need no change here.
    const api = new HttpApi(this, 'HttpApi', {
      description: 'event-counts: GET /v1/customers/{customer_id}/event_counts and /total_events',
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', apiFunction),
      defaultAuthorizer: publicApi ? undefined : new HttpIamAuthorizer(),
      createDefaultStage: false,
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      autoDeploy: true,
      // Caps what one runaway client can cost: every request is a few on-demand reads.
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // Alarms fire on any occurrence in five minutes (5xx: five), and stay OK without traffic.
    // Handled failures are 5xx responses, not Lambda errors: those mean a crash or a timeout.
    const alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'event-counts alarms',
      enforceSSL: true,
    });
    const addAlarm = (alarmId: string, metric: IMetric, threshold: number, description: string) => {
      new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(new SnsAction(alarmTopic));
    };
    const sum = { period: ALARM_PERIOD, statistic: Stats.SUM };
    addAlarm(
      'ApiFunctionErrorsAlarm',
      apiFunction.metricErrors(sum),
      1,
      'The query function crashed or timed out',
    );
    addAlarm(
      'ApiFunctionThrottlesAlarm',
      apiFunction.metricThrottles(sum),
      1,
      'Lambda throttled the query function (account concurrency exhausted)',
    );
    addAlarm(
      'Api5xxAlarm',
      stage.metricServerError(sum),
      5,
      'The HTTP API answered 5xx (internal errors, or 503 while DynamoDB is unavailable)',
    );
    addAlarm(
      'TableThrottlesAlarm',
      table.metricThrottledRequestsForOperations({
        ...sum,
        operations: [Operation.QUERY, Operation.GET_ITEM, Operation.PUT_ITEM, Operation.TRANSACT_WRITE_ITEMS],
      }),
      1,
      'DynamoDB throttled requests on the counters table (API queries or a load)',
    );

    new CfnOutput(this, 'ApiUrl', {
      description: publicApi
        ? 'Base URL of the HTTP API (public: no authorization)'
        : 'Base URL of the HTTP API (requests must be SigV4-signed for execute-api)',
      value: stage.url,
    });
    new CfnOutput(this, 'TableName', {
      description: 'Counters table; load it with npm run load -- <file> --table <this> --region <region>',
      value: table.tableName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic the alarms notify; subscribe to it to receive them',
      value: alarmTopic.topicArn,
    });
  }
}
