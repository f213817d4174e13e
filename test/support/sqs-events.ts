import type { SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * An object key as S3 event notifications carry it: URL-encoded, with `+` for a space and `/` kept
 * (`incoming/day one+.csv` arrives as `incoming/day+one%2B.csv`).
 */
export function notificationKey(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');
}

/** The body S3 sends to SQS when an object is put, as in AWS's documentation (event version 2.1). */
export function s3Notification(bucket: string, key: string, size: number, eTag: string): string {
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: '2021-03-04T00:00:00.000Z',
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.1' },
        responseElements: {
          'x-amz-request-id': 'C3D13FE58DE4C810',
          'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD',
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'IngestIncoming',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object: {
            key: notificationKey(key),
            size,
            eTag: eTag.replace(/"/g, ''),
            sequencer: '0055AED6DCD90281E5',
          },
        },
      },
    ],
  });
}

/** One SQS record as Lambda's event source mapping hands it over. */
export function sqsRecord(body: string, messageId: string, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1614816000000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1614816000001',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:EventCounts-IngestQueue',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
