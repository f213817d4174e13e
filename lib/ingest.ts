import { join } from 'node:path';
import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, EventSourceMapping, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REPORTS_PREFIX } from '../lambda/ingest-reports';
import { LAMBDA_BUNDLING } from './bundling';

const PROJECT_ROOT = join(__dirname, '..');

/** Objects put under this prefix are counted. */
export const INCOMING_PREFIX = 'incoming/';

/**
 * The longest an invocation may run (Lambda's maximum): a 256 MB object, or a range of a larger
 * one, is read, checked and written well within it (README, "Ingest in AWS", has the measurements).
 */
const FUNCTION_TIMEOUT = Duration.minutes(15);
/** Receives before a message moves to the dead-letter queue: a corrupt object fails every time. */
const MAX_RECEIVE_COUNT = 3;

export interface IngestProps {
  /** The counters table the loader writes. */
  table: ITable;
  /** Where the ingest alarms notify. */
  alarmTopic: ITopic;
  /**
   * Invocations at once (the event source mapping's maximum concurrency, 2 to 1,000). Each loads
   * with up to 8 DynamoDB requests in flight, so this is what bounds the load on the table.
   *
   * @default 10
   */
  maxConcurrency?: number;
}

/**
 * Serverless ingest: objects put under `incoming/` in a private bucket are announced by S3 to an
 * SQS queue, and a Lambda function loads each with the loader library, exactly once per event.
 * Large plain objects are split into byte ranges, fanned out as messages on the same queue; each
 * object's (or range's) report and rejects go under `reports/`; messages that keep failing end in
 * a dead-letter queue; alarms watch the dead-letter queue, the queue's backlog and the function.
 */
export class Ingest extends Construct {
  readonly bucket: Bucket;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly function: NodejsFunction;
  /** The function's log group: one JSON line per object (or range) it handles. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, { table, alarmTopic, maxConcurrency = 10 }: IngestProps) {
    super(scope, id);

    // Inputs are kept 30 days: longer than a message can live (4 days in the queue, then up to 14
    // in the dead-letter queue, counted from its first send), so a redriven message still finds
    // its object; the counters, not the files, are the record. The bucket outlives the stack
    // like the table does: `aws s3 rb s3://<bucket> --force` deletes it.
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'ExpireIncoming', prefix: INCOMING_PREFIX, expiration: Duration.days(30) },
        { id: 'ExpireReports', prefix: REPORTS_PREFIX, expiration: Duration.days(90) },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      // AWS's guidance for a queue feeding Lambda: at least six times the function's timeout, so
      // a message is not handed out again while the poller retries a throttled invocation.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), {
      prefix: INCOMING_PREFIX,
    });

    const logGroup = new LogGroup(this, 'FunctionLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;

    // Exactly what the function calls: read the objects it is told about, write its reports,
    // the loader's DynamoDB operations (its transactions hold Put and Update actions, which IAM
    // authorizes as PutItem and UpdateItem), and send range messages to its own queue. The event
    // source mapping adds the queue's receive and delete actions, active tracing X-Ray's writes.
    const role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'event-counts ingest function: reads incoming/, writes reports/, loads the counters table',
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${INCOMING_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${REPORTS_PREFIX}*`)],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );
    role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));

    this.function = new NodejsFunction(this, 'Function', {
      description: 'event-counts ingest: loads CSV objects from S3 into the counters table, exactly once',
      entry: join(PROJECT_ROOT, 'lambda', 'ingest-handler.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // Parsing is CPU-bound and single-threaded, gunzip runs beside it: 2,048 MB gives a bit more
      // than one vCPU. Memory use stays far below (the loader's buffer is about 10 MB).
      memorySize: 2048,
      timeout: FUNCTION_TIMEOUT,
      // Rejects files wait in /tmp until uploaded; a range of 256 MB of bad rows fits.
      ephemeralStorageSize: Size.gibibytes(2),
      // X-Ray traces each invocation (initialization, the handler, Lambda's overhead), so a slow
      // object shows where its time went; the trace id is in every log line, like the API's.
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: {
        TABLE_NAME: table.tableName,
        INGEST_QUEUE_URL: this.queue.queueUrl,
        // Declared empty (which means AWS) so local runners can point the function elsewhere.
        DYNAMODB_ENDPOINT: '',
        S3_ENDPOINT: '',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: LAMBDA_BUNDLING,
    });
    // One message per invocation: an object (or range) gets the whole timeout and memory, and a
    // failure concerns that message alone. Batch item failures make SQS redeliver only failed
    // messages; maximum concurrency caps invocations without the throttling reserved concurrency
    // would cause.
    this.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency }),
    );

    this.acknowledgeNagFindings(role);

    // Like the API's alarms: the topic hears when an alarm fires and when it is OK again.
    const period = Duration.minutes(5);
    const action = new SnsAction(alarmTopic);
    const addAlarm = (alarmId: string, metric: IMetric, threshold: number, description: string) => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    };
    addAlarm(
      'DeadLetterAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: Stats.MAXIMUM }),
      1,
      'Ingest messages failed every receive and wait in the dead-letter queue; see reports/ and redrive',
    );
    addAlarm(
      'BacklogAgeAlarm',
      this.queue.metricApproximateAgeOfOldestMessage({ period, statistic: Stats.MAXIMUM }),
      Duration.hours(1).toSeconds(),
      'An ingest message has waited over an hour: a backlog beyond the maximum concurrency, or retries',
    );
    addAlarm(
      'FunctionErrorsAlarm',
      this.function.metricErrors({ period, statistic: Stats.SUM }),
      1,
      'The ingest function crashed or timed out (failed objects are batch item failures, not errors)',
    );
  }

  /**
   * The cdk-nag findings (AwsSolutions and Serverless packs) this design accepts, each with its
   * reason. The ids are the packs' own rule ids, without the plugin prefix CDK's report suggests
   * (`Serverless::Serverless-LambdaDLQ`): cdk-nag itself reads bare ids, so they hold both when it
   * runs as a validation plugin at synthesis and when a test runs a pack over the stack.
   */
  private acknowledgeNagFindings(role: Role): void {
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the ingest function reads and writes this bucket; its reports/ record every object it ' +
        'handled. Server access logs would need a second bucket; enable CloudTrail S3 data events for an audit.',
    });
    const bucketArn = `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>`;
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${INCOMING_PREFIX}*]`,
        reason: 'The function reads whichever object under incoming/ it is notified of, and nothing else.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${bucketArn}/${REPORTS_PREFIX}*]`,
        reason:
          'The function writes one report (and rejects file) per object under reports/, and nowhere else.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
          'permissions, so Lambda grants them on *; every other statement names its resource.',
      },
    );
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        "This is the ingest queue's dead-letter queue: its messages wait, alarmed, for a person to fix " +
        'the cause and redrive them; a dead-letter queue of its own would only hide them further.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The SQS event source mapping invokes the function synchronously, and a function dead-letter ' +
        "queue only receives asynchronous invocations: failed messages go to the queue's redrive DLQ.",
    });
    // The queue's event source mapping, which SqsEventSource creates under the function.
    for (const mapping of this.function.node.children.filter(
      (child) => child instanceof EventSourceMapping,
    )) {
      Validations.of(mapping).acknowledge({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'Lambda supports on-failure destinations for stream and Kafka mappings, not SQS: a message ' +
          `that keeps failing moves to the queue's redrive dead-letter queue after ${MAX_RECEIVE_COUNT} receives.`,
      });
    }
    // CDK's own function that installs the bucket's notification configuration at deploy time.
    const notificationsHandler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler !== undefined) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's bucket notifications handler (a custom resource run only when the stack deploys) logs " +
          'with this policy: CDK attaches it even to a notificationsHandlerRole of our own, and the ' +
          "handler's log group is named at deploy time.",
      });
    }
  }
}
