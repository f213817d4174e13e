import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore } from '../../core/counter-store';
import { createRouter } from '../../lambda/routes';
import { EventCountsStack } from '../../lib/event-counts-stack';
import { loadEvents } from '../../loader/load-events';
import { apiEvent } from '../support/api-event';
import { createTestTable, type TestTable } from '../support/dynamodb';

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };
interface Synthesized {
  template: Template;
  outdir: string;
}

// Every synthesis bundles the handler with esbuild (about a second), so each context is
// synthesized once, and only the default one bundles: the flags change no function property.
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

// The context `cdk synth` runs with (feature flags), plus the flags under test.
const CDK_JSON_CONTEXT = JSON.parse(readFileSync('cdk.json', 'utf8')).context as Record<string, unknown>;

function synthesize(context: Record<string, unknown>): Synthesized {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...context } });
  const stack = new EventCountsStack(app, 'EventCounts');
  return { template: Template.fromStack(stack), outdir: app.outdir };
}

function onlyResource(template: Template, type: string): [string, Resource] {
  const resources = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(resources).toHaveLength(1);
  return resources[0] as [string, Resource];
}

interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

function policyStatements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy) =>
      (policy as Resource & { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

describe('EventCountsStack', () => {
  let defaults: Synthesized;
  let demo: Synthesized;
  let open: Synthesized;

  beforeAll(() => {
    defaults = synthesize({});
    demo = synthesize({ ...SKIP_BUNDLING, demo: 'true' }); // as `-c demo=true` passes it
    open = synthesize({ ...SKIP_BUNDLING, publicApi: true }); // as cdk.json would hold it
  }, 120_000);

  afterAll(() => {
    for (const synthesized of [defaults, demo, open]) {
      if (synthesized !== undefined) rmSync(synthesized.outdir, { recursive: true, force: true });
    }
  });

  describe('the counters table', () => {
    it('has the key schema and billing mode of the store, with point-in-time recovery', () => {
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

    it('is retained when the stack is deleted, by default', () => {
      const [, table] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('is deleted with the stack with -c demo=true', () => {
      const [, table] = onlyResource(demo.template, 'AWS::DynamoDB::Table');
      expect(table).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    });
  });

  describe('the query function', () => {
    it('runs Node.js 22 on arm64 with the memory, timeout and environment it was sized for', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const [, fn] = onlyResource(defaults.template, 'AWS::Lambda::Function');
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 10,
        Environment: {
          Variables: {
            TABLE_NAME: { Ref: tableId },
            DYNAMODB_ENDPOINT: '',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    it('may only read this table with GetItem and Query, and write its own log group', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const [, fn] = onlyResource(defaults.template, 'AWS::Lambda::Function');
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(policyStatements(defaults.template)).toEqual([
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
      ]);
      const [, role] = onlyResource(defaults.template, 'AWS::IAM::Role');
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('keeps its logs for 30 days', () => {
      const [, fn] = onlyResource(defaults.template, 'AWS::Lambda::Function');
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(defaults.template.toJSON().Resources[logGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    });
  });

  describe('the HTTP API', () => {
    it('sends every path and method to the function with payload format 2.0', () => {
      const [functionId] = onlyResource(defaults.template, 'AWS::Lambda::Function');
      const [integrationId, integration] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Integration');
      expect(integration.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      });
      const [, route] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Route');
      expect(route.Properties).toMatchObject({
        RouteKey: '$default',
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    });

    it('requires IAM (SigV4) authorization by default', () => {
      const [, route] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Route');
      expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(onlyResource(demo.template, 'AWS::ApiGatewayV2::Route')[1].Properties.AuthorizationType).toBe(
        'AWS_IAM',
      );
    });

    it('is open to anyone with -c publicApi=true', () => {
      const [, route] = onlyResource(open.template, 'AWS::ApiGatewayV2::Route');
      expect(route.Properties.AuthorizationType).toBe('NONE');
      const [, table] = onlyResource(open.template, 'AWS::DynamoDB::Table');
      expect(table.DeletionPolicy).toBe('Retain');
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
        status: '$context.status',
        latencyMs: '$context.responseLatency',
      });
      const accessLogGroupId = settings.DestinationArn['Fn::GetAtt'][0];
      expect(defaults.template.toJSON().Resources[accessLogGroupId]).toMatchObject({
        Type: 'AWS::Logs::LogGroup',
        Properties: { RetentionInDays: 30 },
      });
    });
  });

  describe('the alarms', () => {
    const alarm = (metricName: string, namespace: string, threshold: number) => ({
      MetricName: metricName,
      Namespace: namespace,
      Statistic: 'Sum',
      Period: 300,
      Threshold: threshold,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: onlyResource(defaults.template, 'AWS::SNS::Topic')[0] }],
    });

    it('watches the function for errors and throttles', () => {
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', alarm('Errors', 'AWS/Lambda', 1));
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', alarm('Throttles', 'AWS/Lambda', 1));
    });

    it('watches the API stage for 5xx responses', () => {
      const [apiId] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Api');
      defaults.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarm('5xx', 'AWS/ApiGateway', 5),
        Dimensions: Match.arrayWith([{ Name: 'ApiId', Value: { Ref: apiId } }]),
      });
    });

    it('watches the table for throttled requests of every operation the service uses', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const alarms = Object.values(defaults.template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
      const throttles = alarms.filter((resource) =>
        JSON.stringify(resource.Properties.Metrics ?? []).includes('ThrottledRequests'),
      );
      expect(throttles).toHaveLength(1);
      const metrics = (throttles[0] as Resource).Properties.Metrics as {
        MetricStat?: { Metric: { Dimensions: { Name: string; Value: unknown }[] } };
      }[];
      const operations = metrics.flatMap(
        (metric) =>
          metric.MetricStat?.Metric.Dimensions.filter((d) => d.Name === 'Operation').map((d) => d.Value) ??
          [],
      );
      expect(operations.sort()).toEqual(['GetItem', 'PutItem', 'Query', 'TransactWriteItems']);
      expect(JSON.stringify(metrics)).toContain(
        JSON.stringify({ Name: 'TableName', Value: { Ref: tableId } }),
      );
    });

    it('has exactly these four alarms', () => {
      defaults.template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    });
  });

  describe('the outputs', () => {
    it('give the API URL, the table name and the alarm topic', () => {
      const [tableId] = onlyResource(defaults.template, 'AWS::DynamoDB::Table');
      const [apiId] = onlyResource(defaults.template, 'AWS::ApiGatewayV2::Api');
      const [topicId] = onlyResource(defaults.template, 'AWS::SNS::Topic');
      const outputs = defaults.template.toJSON().Outputs;
      expect(Object.keys(outputs).sort()).toEqual(['AlarmTopicArn', 'ApiUrl', 'TableName']);
      expect(outputs.TableName.Value).toEqual({ Ref: tableId });
      expect(outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId });
      expect(JSON.stringify(outputs.ApiUrl.Value)).toContain(JSON.stringify({ Ref: apiId }));
      expect(JSON.stringify(outputs.ApiUrl.Value)).toContain('.execute-api.');
    });
  });

  describe('context flags', () => {
    it('rejects a flag that is neither true nor false, naming it and the value', () => {
      const app = new App({ context: { demo: 'yes' } });
      expect(() => new EventCountsStack(app, 'EventCounts')).toThrow(
        'context flag demo must be true or false (for example -c demo=true); received "yes"',
      );
    });
  });

  describe('the query function on DynamoDB Local', () => {
    let table: TestTable;
    let bundle: string;

    beforeAll(async () => {
      const [, fn] = onlyResource(defaults.template, 'AWS::Lambda::Function');
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
      const route = createRouter(createCounterStore({ client, tableName: table.tableName }));
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
          const response = await route(apiEvent(path, query, { requestId: 'request' }), 'request');
          expect({ path, query, status: response.statusCode }).toEqual({ path, query, status: 200 });
        }
      } finally {
        client.destroy();
      }
      const granted = policyStatements(defaults.template)
        .flatMap((statement) => statement.Action)
        .filter((action) => action.startsWith('dynamodb:'));
      expect([...issued].sort()).toEqual(granted.sort());
    });

    it('is bundled minified, with a source map', () => {
      const code = readFileSync(bundle, 'utf8');
      expect(code.trimEnd().endsWith('//# sourceMappingURL=index.js.map')).toBe(true);
      expect(statSync(`${bundle}.map`).size).toBeGreaterThan(0);
      expect(statSync(bundle).size).toBeLessThan(1_000_000);
    });

    it('answers a partial-hour query from its bundle and logs one line for the request', async () => {
      const path = '/v1/customers/c1/event_counts';
      const query = { starting_at: '2021-03-01T04:15:00Z', ending_before: '2021-03-01T05:45:00Z' };
      const script =
        "require(process.argv[1]).handler(JSON.parse(process.argv[2]), { awsRequestId: 'lambda-request-1' })" +
        '.then((response) => console.log(JSON.stringify(response)))';
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--enable-source-maps',
          '-e',
          script,
          bundle,
          JSON.stringify(apiEvent(path, query, { requestId: 'api-request-1' })),
        ],
        { env: { ...process.env, TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint } },
      );
      const [logLine, responseLine] = stdout.trim().split('\n');
      const response = JSON.parse(responseLine ?? '');
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        total: 2,
        buckets: [
          { starting_at: '2021-03-01T04:15:00.000Z', ending_before: '2021-03-01T05:00:00.000Z', count: 1 },
          { starting_at: '2021-03-01T05:00:00.000Z', ending_before: '2021-03-01T05:45:00.000Z', count: 1 },
        ],
      });
      expect(JSON.parse(logLine ?? '')).toMatchObject({
        level: 'info',
        message: 'request',
        requestId: 'lambda-request-1',
        apiRequestId: 'api-request-1',
        method: 'GET',
        path,
        status: 200,
        latencyMs: expect.any(Number),
      });
    });
  });
});
