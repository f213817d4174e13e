import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CounterStore } from '../core/counter-store';
import { errorMessage } from '../core/errors';
import { readIngestMessage } from './ingest-messages';
import { type IngestDependencies, IngestFailedError, runIngestTask } from './ingest-task';

export interface IngestHandlerOptions extends Omit<IngestDependencies, 'checkFormat' | 'store'> {
  store: IngestDependencies['store'] & Pick<CounterStore, 'checkFormat'>;
}

/**
 * The ingest function: for each SQS message (an S3 `ObjectCreated` notification, or a range of a
 * split object), runs its tasks and reports the messages that failed as batch item failures, so
 * that SQS redelivers only those and, after the queue's last receive, moves them to the
 * dead-letter queue. Every other message of the batch is deleted.
 */
export function createIngestHandler({ store, ...options }: IngestHandlerOptions) {
  // Once per container: the table's layout does not change under a running function.
  let format: Promise<void> | undefined;
  const checkFormat = () => {
    format ??= store.checkFormat().catch((error: unknown) => {
      format = undefined;
      throw error;
    });
    return format;
  };
  const deps: IngestDependencies = { ...options, store, checkFormat };

  return async (event: SQSEvent, context: Pick<Context, 'awsRequestId'>): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      const delivery = {
        messageId: record.messageId,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
        requestId: context.awsRequestId,
      };
      try {
        const tasks = readIngestMessage(record.body);
        if (tasks.length === 0) options.logger.info('message ignored: it creates no object', delivery);
        for (const task of tasks) await runIngestTask(task, delivery, deps);
      } catch (error) {
        // runIngestTask logged its own failure with its report; anything else is logged here.
        if (!(error instanceof IngestFailedError)) {
          options.logger.error('ingest failed', { ...delivery, error: errorMessage(error) });
        }
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
