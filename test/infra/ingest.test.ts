import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { createDynamoDbClient } from '../../core/config';
import { createCounterStore } from '../../core/counter-store';
import { EventCountsStack } from '../../lib/event-counts-stack';
import { Ingest } from '../../lib/ingest';
import { loadEvents } from '../../loader/load-events';
import { createTestTable, type TestTable } from '../support/dynamodb';

type Resource = { Type: string; Properties: Record<string, unknown>; [key: string]: unknown };
interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

// Bundling is what the integration test runs; here only the template matters.
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const CDK_JSON_CONTEXT = JSON.parse(readFileSync('cdk.json', 'utf8')).context as Record<string, unknown>;

/** The one resource of `type` whose logical id starts with `Ingest` (the construct's). */
function ingestResource(template: Template, type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith('Ingest'));
  expect(found.map(([id]) => id)).toHaveLength(1);
  return found[0] as [string, Resource];
}

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const objectsUnder = (bucketId: string, prefix: string) => ({
  'Fn::Join': ['', [getAtt(bucketId), `/${prefix}*`]],
});

/** The construct alone, beside the table and topic it is given, as EventCountsStack gives them. */
function synthesizeIngest(): Template {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING } });
  const stack = new Stack(app, 'IngestTest');
  new Ingest(stack, 'Ingest', {
    table: new Table(stack, 'CountersTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    }),
    alarmTopic: new Topic(stack, 'AlarmTopic', { enforceSSL: true }),
  });
  return Template.fromStack(stack);
}

describe('Ingest', () => {
  let template: Template;
  let ids: { bucket: string; queue: string; deadLetters: string; fn: string; table: string; topic: string };

  beforeAll(() => {
    template = synthesizeIngest();
    const queues = Object.entries(template.findResources('AWS::SQS::Queue')).map(([id]) => id);
    ids = {
      bucket: ingestResource(template, 'AWS::S3::Bucket')[0],
      queue: queues.find((id) => id.startsWith('IngestQueue')) ?? '',
      deadLetters: queues.find((id) => id.startsWith('IngestDeadLetterQueue')) ?? '',
      fn: ingestResource(template, 'AWS::Lambda::Function')[0],
      table: Object.keys(template.findResources('AWS::DynamoDB::Table'))[0] ?? '',
      topic: Object.keys(template.findResources('AWS::SNS::Topic'))[0] ?? '',
    };
  });

  describe('the bucket', () => {
    it('is private, encrypted, SSL-only, owner-enforced, and kept when the stack is deleted', () => {
      const [, bucket] = ingestResource(template, 'AWS::S3::Bucket');
      expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(bucket.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.bucket },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it('expires inputs after 30 days (past any message naming them), reports after 90, stale uploads after 1', () => {
      const [, bucket] = ingestResource(template, 'AWS::S3::Bucket');
      expect(bucket.Properties.LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'AbortIncompleteUploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          },
          { Id: 'ExpireIncoming', Prefix: 'incoming/', ExpirationInDays: 30, Status: 'Enabled' },
          { Id: 'ExpireReports', Prefix: 'reports/', ExpirationInDays: 90, Status: 'Enabled' },
        ],
      });
    });

    it('announces objects created under incoming/ (only) to the queue', () => {
      const [, notifications] = ingestResource(template, 'Custom::S3BucketNotifications');
      expect(notifications.Properties.NotificationConfiguration).toEqual({
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
            QueueArn: getAtt(ids.queue),
          },
        ],
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Condition: { ArnLike: { 'aws:SourceArn': getAtt(ids.bucket) } },
            }),
          ]),
        },
      });
    });
  });

  describe('the queues', () => {
    it('hide a message for six times the function timeout, and move it to the dead-letter queue after 3 receives', () => {
      const queue = template.toJSON().Resources[ids.queue] as Resource;
      const [, fn] = ingestResource(template, 'AWS::Lambda::Function');
      expect(queue.Properties).toEqual({
        VisibilityTimeout: 6 * (fn.Properties.Timeout as number),
        MessageRetentionPeriod: 4 * 24 * 3600,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt(ids.deadLetters), maxReceiveCount: 3 },
      });
      expect((template.toJSON().Resources[ids.deadLetters] as Resource).Properties).toEqual({
        MessageRetentionPeriod: 14 * 24 * 3600,
        SqsManagedSseEnabled: true,
      });
    });

    it('refuse requests without SSL', () => {
      for (const queue of [ids.queue, ids.deadLetters]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queue }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });
  });

  describe('the function', () => {
    it('runs Node.js 24 on arm64 for up to 15 minutes, traced by X-Ray, configured by its environment', () => {
      const [, fn] = ingestResource(template, 'AWS::Lambda::Function');
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 2048,
        Timeout: 900,
        EphemeralStorage: { Size: 2048 },
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: {
            TABLE_NAME: { Ref: ids.table },
            INGEST_QUEUE_URL: { Ref: ids.queue },
            DYNAMODB_ENDPOINT: '',
            S3_ENDPOINT: '',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    });

    it('takes one message at a time, reports batch item failures, and runs at most 10 at once', () => {
      const [, mapping] = ingestResource(template, 'AWS::Lambda::EventSourceMapping');
      expect(mapping.Properties).toEqual({
        FunctionName: { Ref: ids.fn },
        EventSourceArn: getAtt(ids.queue),
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      });
    });

    it('may read incoming/, write reports/, use the loader’s table actions, send to its own queue and trace: nothing else', () => {
      const [, fn] = ingestResource(template, 'AWS::Lambda::Function');
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const role = template.toJSON().Resources[roleId] as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        JSON.stringify((policy as Resource).Properties.Roles).includes(roleId),
      ) as (Resource & { Properties: { PolicyDocument: { Statement: Statement[] } } })[];
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)).toEqual([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: getAtt(logGroupId),
        },
        { Action: 's3:GetObject', Effect: 'Allow', Resource: objectsUnder(ids.bucket, 'incoming/') },
        { Action: 's3:PutObject', Effect: 'Allow', Resource: objectsUnder(ids.bucket, 'reports/') },
        {
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
          Effect: 'Allow',
          Resource: getAtt(ids.table),
        },
        {
          Action: [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
            'sqs:SendMessage',
          ],
          Effect: 'Allow',
          Resource: getAtt(ids.queue),
        },
        // Active tracing; X-Ray's write actions have no resource-level permissions.
        { Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Effect: 'Allow', Resource: '*' },
      ]);
    });

    it('keeps its logs for 30 days', () => {
      const [, fn] = ingestResource(template, 'AWS::Lambda::Function');
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(template.toJSON().Resources[logGroupId]).toMatchObject({ Properties: { RetentionInDays: 30 } });
    });
  });

  describe('the alarms', () => {
    const alarm = (
      metricName: string,
      namespace: string,
      statistic: string,
      threshold: number,
      dimension: unknown,
    ) => ({
      MetricName: metricName,
      Namespace: namespace,
      Statistic: statistic,
      Period: 300,
      Threshold: threshold,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [dimension],
      AlarmActions: [{ Ref: ids.topic }],
      OKActions: [{ Ref: ids.topic }],
    });

    it('watch the dead-letter queue, the age of the oldest message and the function’s errors, firing and OK', () => {
      const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
        id.startsWith('Ingest'),
      );
      expect(alarms).toHaveLength(3);
      const queueName = (id: string) => ({ Name: 'QueueName', Value: getAtt(id, 'QueueName') });
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarm('ApproximateNumberOfMessagesVisible', 'AWS/SQS', 'Maximum', 1, queueName(ids.deadLetters)),
      );
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarm('ApproximateAgeOfOldestMessage', 'AWS/SQS', 'Maximum', 3600, queueName(ids.queue)),
      );
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarm('Errors', 'AWS/Lambda', 'Sum', 1, { Name: 'FunctionName', Value: { Ref: ids.fn } }),
      );
    });
  });

  it('is part of EventCountsStack, on its counters table and alarm topic, with what operating it needs as outputs', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, ...SKIP_BUNDLING } });
    const stack = Template.fromStack(new EventCountsStack(app, 'EventCounts'));
    const [bucketId] = ingestResource(stack, 'AWS::S3::Bucket');
    const [, fn] = ingestResource(stack, 'AWS::Lambda::Function');
    const [tableId] = Object.keys(stack.findResources('AWS::DynamoDB::Table'));
    const [topicId] = Object.keys(stack.findResources('AWS::SNS::Topic'));
    expect(fn.Properties).toMatchObject({ Environment: { Variables: { TABLE_NAME: { Ref: tableId } } } });
    const alarms = Object.entries(stack.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith('Ingest'),
    );
    expect(alarms.map(([, alarm]) => (alarm as Resource).Properties.AlarmActions)).toEqual(
      alarms.map(() => [{ Ref: topicId }]),
    );
    const queues = Object.keys(stack.findResources('AWS::SQS::Queue'));
    const [logGroupId] = ingestResource(stack, 'AWS::Logs::LogGroup');
    const outputs = stack.toJSON().Outputs;
    expect(outputs.IngestBucketName).toMatchObject({ Value: { Ref: bucketId } });
    expect(outputs.IngestQueueUrl).toMatchObject({
      Value: { Ref: queues.find((id) => id.startsWith('IngestQueue')) },
    });
    expect(outputs.IngestDeadLetterQueueUrl).toMatchObject({
      Value: { Ref: queues.find((id) => id.startsWith('IngestDeadLetterQueue')) },
    });
    expect(outputs.IngestLogGroupName).toMatchObject({ Value: { Ref: logGroupId } });
    expect(fn.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
  });

  it('passes the cdk-nag AwsSolutions and Serverless checks, acknowledging only what its design accepts', () => {
    const app = new App({ context: SKIP_BUNDLING });
    const stack = new Stack(app, 'IngestNag');
    new Ingest(stack, 'Ingest', {
      table: new Table(stack, 'Table', {
        partitionKey: { name: 'pk', type: AttributeType.STRING },
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      }),
      alarmTopic: new Topic(stack, 'Topic', { enforceSSL: true }),
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  describe('on DynamoDB Local', () => {
    let table: TestTable;

    beforeAll(async () => {
      table = await createTestTable('ingest-grants');
    });

    afterAll(() => table?.drop());

    it('is granted exactly the item actions a load issues (a transaction is authorized by its actions)', async () => {
      const client = createDynamoDbClient({ endpoint: table.endpoint });
      const issued = new Set<string>();
      client.middlewareStack.add(
        (next, context) => (args) => {
          const operation = String(context.commandName).replace(/Command$/, '');
          if (operation !== 'TransactWriteItems') issued.add(`dynamodb:${operation}`);
          const items = (args.input as { TransactItems?: Record<string, unknown>[] }).TransactItems ?? [];
          const itemActions = {
            Put: 'PutItem',
            Update: 'UpdateItem',
            Delete: 'DeleteItem',
            ConditionCheck: 'ConditionCheckItem',
          };
          for (const item of items) {
            for (const kind of Object.keys(item))
              issued.add(`dynamodb:${itemActions[kind as keyof typeof itemActions]}`);
          }
          return next(args);
        },
        { step: 'initialize', name: 'recordOperations' },
      );
      const store = createCounterStore({ client, tableName: table.tableName });
      try {
        await store.checkFormat();
        const csv = 'c1,INGEST,t1,2021-03-01 04:10:00+00\nc1,INGEST,t2,2021-03-01 05:20:00+00\n';
        await loadEvents({ store, input: Readable.from([csv]), source: 'fixture.csv' });
        await loadEvents({ store, input: Readable.from([csv]), source: 'fixture.csv' });
      } finally {
        client.destroy();
      }
      const [, fn] = ingestResource(template, 'AWS::Lambda::Function');
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const granted = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify((policy as Resource).Properties.Roles).includes(roleId))
        .flatMap(
          (policy) =>
            (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
              .PolicyDocument.Statement,
        )
        .flatMap((statement) => statement.Action)
        .filter((action) => action.startsWith('dynamodb:'));
      expect([...issued].sort()).toEqual(granted.sort());
    });
  });
});
