import { Readable } from 'node:stream';
import { ownedLines, planByteRanges, readStartOf } from '../../loader/byte-ranges';
import { type LoadSummary, loadEvents, type RejectedRow } from '../../loader/load-events';
import type { WriteStore } from '../../loader/write-events';

/** A store that holds nothing: every event is new, every transaction commits. */
const emptyStore: WriteStore = {
  tableName: 'stub',
  readHourState: async () => ({ version: 0, fragments: [] }),
  commit: async () => 'committed',
  widenCustomerSpan: async () => {},
};

async function load(
  bytes: Buffer,
  startsMidInput: boolean,
): Promise<LoadSummary & { rejects: RejectedRow[] }> {
  const rejects: RejectedRow[] = [];
  const summary = await loadEvents({
    store: emptyStore,
    input: Readable.from([bytes]),
    source: 'test',
    startsMidInput,
    onReject: (row) => {
      rejects.push(row);
    },
  });
  return { ...summary, rejects };
}

const counts = ({ rows, headers, blankLines, accepted, duplicates, conflicts, rejected }: LoadSummary) => ({
  rows,
  headers,
  blankLines,
  accepted,
  duplicates,
  conflicts,
  rejected,
});

describe('loadEvents with startsMidInput (a byte range after the first)', () => {
  it('rejects a first line made of the column names: only the start of a file has a header', async () => {
    const bytes = Buffer.from(
      'customer_id,event_type,transaction_id,timestamp\nc1,INGEST,t1,2021-03-01 00:00:00+00\n',
    );
    expect(await load(bytes, false)).toMatchObject({ headers: 1, rejected: 0 });
    const range = await load(bytes, true);
    expect(range).toMatchObject({ headers: 0, rejected: 1, accepted: 1 });
    expect(range.rejects[0]?.reason).toBe(
      'a header line after the first row: expected an event (were two files joined?)',
    );
  });

  it('neither skips a byte order mark nor gunzips bytes that look like a gzip header', async () => {
    const bom = Buffer.from(
      '\ufeffc1,INGEST,t1,2021-03-01 00:00:00+00\nc1,INGEST,t2,2021-03-01 00:00:00+00\n',
    );
    expect(await load(bom, false)).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await load(bom, true)).toMatchObject({ accepted: 1, rejected: 1 });
    const magic = Buffer.concat([
      Buffer.from([0x1f, 0x8b]),
      Buffer.from(',x\nc1,INGEST,t1,2021-03-01 00:00:00+00\n'),
    ]);
    expect(await load(magic, true)).toMatchObject({ rows: 2, accepted: 1, rejected: 1 });
  });

  it('sorts the rows of a file split into ranges exactly as the whole file, whatever the cuts', async () => {
    const lines = [
      '\ufeffcustomer_id,event_type,transaction_id,timestamp',
      'c1,INGEST,t1,2021-03-01 00:00:00+00',
      '',
      'c1,INGEST,t1,2021-03-01 00:00:00+00',
      'c1,INGEST,t2,2021-03-01 00:00:00+00',
      'c1,INGEST,"t,3",2021-03-01 01:00:00.5+00',
      'c2,INGEST,t4',
      'c2,INGEST,t5,2021-03-01 02:00:00Z',
    ];
    const file = Buffer.from(`${lines.join('\r\n')}\n`);
    const whole = counts(await load(file, false));
    for (let rangeBytes = 1; rangeBytes <= file.length; rangeBytes += 3) {
      const sum = {
        rows: 0,
        headers: 0,
        blankLines: 0,
        accepted: 0,
        duplicates: 0,
        conflicts: 0,
        rejected: 0,
      };
      for (const range of planByteRanges(file.length, rangeBytes)) {
        const owned: Buffer[] = [];
        for await (const chunk of ownedLines(Readable.from([file.subarray(readStartOf(range))]), range)) {
          owned.push(chunk);
        }
        if (owned.length === 0) continue;
        const part = counts(await load(Buffer.concat(owned), range.start > 0).catch((error) => error.counts));
        for (const name of Object.keys(sum) as (keyof typeof sum)[]) sum[name] += part[name] ?? 0;
      }
      // Duplicates across ranges are found in the table instead; here the stub table holds none.
      expect({ rangeBytes, ...sum, accepted: sum.accepted + sum.duplicates, duplicates: 0 }).toEqual({
        rangeBytes,
        ...whole,
        accepted: whole.accepted + whole.duplicates,
        duplicates: 0,
      });
    }
  });
});
