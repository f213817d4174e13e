import {
  decodeS3Key,
  InvalidIngestMessageError,
  RANGE_MESSAGE_TYPE,
  rangeMessages,
  readIngestMessage,
} from '../../lambda/ingest-messages';
import { reportKeys } from '../../lambda/ingest-reports';
import { planByteRanges } from '../../loader/byte-ranges';
import { notificationKey, s3Notification } from '../support/sqs-events';

describe('decodeS3Key', () => {
  it('decodes keys as S3 notifications encode them: + for a space, %XX for the rest', () => {
    expect(decodeS3Key('incoming/day+one.csv')).toBe('incoming/day one.csv');
    expect(decodeS3Key('incoming/a%2Bb%20c.csv')).toBe('incoming/a+b c.csv');
    expect(decodeS3Key('incoming/%C3%A9t%C3%A9.csv.gz')).toBe('incoming/été.csv.gz');
    for (const key of ['incoming/x y+z (1).csv', 'incoming/ä/%41.csv', 'incoming/a&b=c?.csv']) {
      expect(decodeS3Key(notificationKey(key))).toBe(key);
    }
  });

  it('rejects a key that is not URL-encoded, naming it', () => {
    expect(() => decodeS3Key('incoming/100%.csv')).toThrow(
      new InvalidIngestMessageError('s3.object.key "incoming/100%.csv" is not URL-encoded'),
    );
  });
});

describe('readIngestMessage', () => {
  it('gives one object task per ObjectCreated record, with the key decoded', () => {
    expect(readIngestMessage(s3Notification('b', 'incoming/day one.csv', 42, '"abc"'))).toEqual([
      { kind: 'object', object: { bucket: 'b', key: 'incoming/day one.csv', size: 42, eTag: 'abc' } },
    ]);
  });

  it('ignores S3 test events and records that create no object', () => {
    expect(
      readIngestMessage(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' })),
    ).toEqual([]);
    const removed = JSON.parse(s3Notification('b', 'incoming/x.csv', 1, 'e'));
    removed.Records[0].eventName = 'ObjectRemoved:Delete';
    expect(readIngestMessage(JSON.stringify(removed))).toEqual([]);
  });

  it('reads back the range messages it writes', () => {
    const object = { bucket: 'b', key: 'incoming/big.csv', size: 1000, eTag: 'e' };
    const bodies = rangeMessages(object, planByteRanges(1000, 400));
    expect(bodies.map(readIngestMessage)).toEqual([
      [{ kind: 'range', object, range: { start: 0, end: 334 }, part: 1, parts: 3 }],
      [{ kind: 'range', object, range: { start: 334, end: 668 }, part: 2, parts: 3 }],
      [{ kind: 'range', object, range: { start: 668, end: 1000 }, part: 3, parts: 3 }],
    ]);
  });

  it('names the field that is missing or malformed', () => {
    const noSize = JSON.parse(s3Notification('b', 'incoming/x.csv', 1, 'e'));
    delete noSize.Records[0].s3.object.size;
    expect(() => readIngestMessage(JSON.stringify(noSize))).toThrow(
      's3.object.size must be a size in bytes; received nothing',
    );
    expect(() => readIngestMessage('not json')).toThrow('the message body is not JSON: "not json"');
    expect(() => readIngestMessage('{"hello":1}')).toThrow(
      `expected an S3 event notification (Records) or a range message (type ${RANGE_MESSAGE_TYPE}); received a message with fields hello`,
    );
    const range = {
      type: RANGE_MESSAGE_TYPE,
      bucket: 'b',
      key: 'k',
      size: 10,
      start: 5,
      end: 11,
      part: 1,
      parts: 2,
    };
    expect(() => readIngestMessage(JSON.stringify(range))).toThrow(
      'range message for s3://b/k names bytes [5, 11) of 10 as part 1 of 2: expected start < end <= size and 1 <= part <= parts',
    );
  });
});

describe('reportKeys', () => {
  const startedAt = new Date('2021-03-04T05:06:07.089Z');
  const object = { bucket: 'b', key: 'incoming/day one.csv', size: 1 };

  it('puts reports under reports/<key>/, named by start time, part and message', () => {
    expect(reportKeys(object, startedAt, '0f8fad5b-d9cb-469f-a165-70867728950e')).toEqual({
      report: 'reports/incoming/day one.csv/2021-03-04T05-06-07.089Z-0f8fad5b.json',
      rejects: 'reports/incoming/day one.csv/2021-03-04T05-06-07.089Z-0f8fad5b.rejects.csv',
    });
    const part = { range: { start: 0, end: 1 }, part: 3, parts: 12 };
    expect(reportKeys(object, startedAt, 'm', part).report).toBe(
      'reports/incoming/day one.csv/2021-03-04T05-06-07.089Z.part-0003-of-0012-m.json',
    );
  });

  it('keeps keys within S3 limit of 1,024 bytes for very long object keys', () => {
    const long = { ...object, key: `incoming/${'é'.repeat(500)}.csv` };
    const keys = reportKeys(long, startedAt, 'message');
    expect(keys.report).toMatch(
      /^reports\/long-keys\/[0-9a-f]{64}\/2021-03-04T05-06-07\.089Z-message\.json$/,
    );
    expect(Buffer.byteLength(keys.rejects)).toBeLessThanOrEqual(1024);
  });
});
