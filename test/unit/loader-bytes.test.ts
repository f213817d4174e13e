import { contentFingerprint, digestTransactionId, digestTransactionIdBytes } from '../../core/digests';
import { parseTimestamp } from '../../core/time';
import { ByteRowReader, daysFromCivil, parseCsvTimestampBytes } from '../../loader/byte-rows';
import { ByteTable } from '../../loader/byte-table';
import { findLines, MAX_LINE_CHARS, splitCsvLine, WholeLineSplitter } from '../../loader/csv-lines';
import { CustomerTable } from '../../loader/customers';
import { validateEventRow } from '../../loader/event-row';
import { LineParser, PARSED_WORDS } from '../../loader/parse-lines';
import { sortByDigest } from '../../loader/write-events';

const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';
const TS = '2021-03-01 00:03:21.74+00';

interface Read {
  customerId: string;
  time: number;
  hi: number;
  lo: number;
  fingerprint: number;
}

/** What the string path (splitCsvLine, validateEventRow, the string digests) makes of a line. */
function readAsText(line: string): Read | undefined {
  const split = splitCsvLine(line);
  const row = split.ok ? validateEventRow(split.fields) : split;
  if (!row.ok) return undefined;
  const { customerId, eventType, transactionId, time } = row.event;
  const { hi, lo } = digestTransactionId(transactionId);
  return { customerId, time, hi, lo, fingerprint: contentFingerprint(eventType, time) };
}

/** What ByteRowReader makes of a line (one byte per character), inside other bytes. */
function readAsBytes(line: string, reader = new ByteRowReader(new CustomerTable())): Read | undefined {
  const customers = (reader as unknown as { customers: CustomerTable }).customers;
  const bytes = Buffer.from(`x,"\n${line}\n,"x`, 'latin1');
  if (!reader.read(bytes, 4, 4 + line.length)) return undefined;
  return {
    customerId: customers.ids[reader.customer] as string,
    time: reader.time,
    hi: reader.digestHi,
    lo: reader.digestLo,
    fingerprint: reader.fingerprint,
  };
}

describe('ByteRowReader', () => {
  it.each([
    `${CUSTOMER},INGEST,a-1,${TS}`,
    `${CUSTOMER},INGEST-WITH-PROXY,fc1d9586-4d34-42e0-83f5-939de6fc87c4,2021-03-01 00:03:21+00`,
    `${CUSTOMER},INGEST,2021-03-01  00:03,2021-03-01 00:03:21.7+00`,
    `${CUSTOMER},INGEST,1037852829,2021-03-01 00:03:21.745+00`,
    ` ${CUSTOMER}\t, INGEST ,\t t1 , ${TS} `,
    `c1,x,caf\u00c3\u00a9 \u00ff,2024-02-29 23:59:59.999+00`,
    `c1,x,id,1970-01-01 00:00:00+00`,
    `c1,x,id,9999-12-31 23:59:59.999+00`,
  ])('reads %j from its bytes as the text path reads it', (line) => {
    const fromBytes = readAsBytes(line);

    expect(fromBytes).toBeDefined();
    expect(fromBytes).toEqual(readAsText(line));
  });

  it.each([
    ['a quoted field', `${CUSTOMER},INGEST,"a,1",${TS}`],
    ['a quote inside a field', `${CUSTOMER},INGEST,a"1,${TS}`],
    ['three fields', `${CUSTOMER},INGEST,${TS}`],
    ['five fields', `${CUSTOMER},INGEST,a-1,${TS},x`],
    ['a blank line', ' \t '],
    ['an empty line', ''],
    ['the header', 'customer_id,event_type,transaction_id,timestamp'],
    ['an invalid customer id', `bad id,INGEST,a-1,${TS}`],
    ['an empty customer id', `,INGEST,a-1,${TS}`],
    ['an empty event type', `${CUSTOMER}, ,a-1,${TS}`],
    ['an empty transaction_id', `${CUSTOMER},INGEST,\t,${TS}`],
    ['an ISO timestamp of another shape', `${CUSTOMER},INGEST,a-1,2021-03-01T00:03:21Z`],
    ['four fraction digits', `${CUSTOMER},INGEST,a-1,2021-03-01 00:03:21.7456+00`],
    ['another offset', `${CUSTOMER},INGEST,a-1,2021-03-01 00:03:21.74+01`],
    ['a day the month lacks', `${CUSTOMER},INGEST,a-1,2021-02-29 00:03:21.74+00`],
    ['hour 24', `${CUSTOMER},INGEST,a-1,2021-03-01 24:00:00+00`],
    ['a year before 1970', `${CUSTOMER},INGEST,a-1,1969-12-31 23:59:59+00`],
    ['a letter in the time', `${CUSTOMER},INGEST,a-1,2021-03-01 00:0x:21+00`],
    ['a line too long', `${CUSTOMER},INGEST,${'a'.repeat(MAX_LINE_CHARS)},${TS}`],
  ])('leaves %s to the text path', (_, line) => {
    expect(readAsBytes(line)).toBeUndefined();
  });

  it('finds a customer by its bytes once it has numbered it', () => {
    const reader = new ByteRowReader(new CustomerTable());

    readAsBytes(`c1,INGEST,a,${TS}`, reader);
    const first = reader.customer;
    readAsBytes(`c2,INGEST,a,${TS}`, reader);
    const second = reader.customer;
    readAsBytes(` c1 ,INGEST,b,${TS}`, reader);

    expect([first, second, reader.customer]).toEqual([0, 1, 0]);
  });
});

describe('parseCsvTimestampBytes', () => {
  const at = (text: string) => parseCsvTimestampBytes(Buffer.from(text, 'latin1'), 0, text.length);

  it.each([
    '2021-03-01 00:03:21+00',
    '2021-03-01 00:03:21.7+00',
    '2021-03-01 00:03:21.74+00',
    '2021-03-01 00:03:21.745+00',
    '2000-02-29 12:00:00+00',
    '1970-01-01 00:00:00+00',
    '9999-12-31 23:59:59.999+00',
  ])('reads %s as parseTimestamp does', (text) => {
    expect(at(text)).toBe(parseTimestamp(text));
  });

  it.each([
    '2021-03-01 00:03:21.+00',
    '2021-03-01T00:03:21+00',
    '1900-02-29 00:00:00+00',
    '2021-13-01 00:00:00+00',
  ])('gives -1 for %s', (text) => {
    expect(at(text)).toBe(-1);
  });

  it('counts days as Date.UTC does across leap and century years', () => {
    for (const year of [1970, 1999, 2000, 2024, 2100, 2400, 9999]) {
      for (const [month, day] of [
        [1, 1],
        [2, 28],
        [3, 1],
        [12, 31],
      ] as const) {
        expect(daysFromCivil(year, month, day) * 86_400_000).toBe(Date.UTC(year, month - 1, day));
      }
    }
  });
});

describe('digestTransactionIdBytes', () => {
  // Values stored in tables: a change here would count loaded events again.
  it.each([
    ['', 1733638724, 3916007588],
    ['a', 1934078721, 1539537194],
    ['abcd', 1567915655, 3212885053],
    ['1037852829', 3374859473, 1430916049],
    ['fc1d9586-4d34-42e0-83f5-939de6fc87c4', 2585563605, 2344974228],
    ['2021-03-01  00:03', 1572442322, 212995142],
    ['caf\u00c3\u00a9 \u00ff\u0080 id with spaces, 33 bytes', 3043011559, 1641142885],
    ['x'.repeat(47), 2252376148, 21181190],
  ])('digests %j in place as the stored digest of its bytes', (id, hi, lo) => {
    const bytes = Buffer.from(`##${id}##`, 'latin1');

    const inPlace = { ...digestTransactionIdBytes(bytes, 2, 2 + id.length) };

    expect(inPlace).toEqual({ hi, lo });
    expect({ ...digestTransactionId(id) }).toEqual({ hi, lo });
  });
});

describe('WholeLineSplitter and findLines', () => {
  /** The lines of `input` cut into chunks of `size` bytes, as text. */
  function linesOf(input: Buffer, size: number, startsMidInput = false): string[] {
    const splitter = new WholeLineSplitter({ startsMidInput });
    const bounds = { array: new Int32Array(2) };
    const lines: string[] = [];
    const take = (piece: Buffer) => {
      const count = findLines(piece, bounds);
      for (let i = 0; i < count; i++) {
        lines.push(piece.toString('latin1', bounds.array[2 * i], bounds.array[2 * i + 1]));
      }
    };
    for (let at = 0; at < input.length; at += size) take(splitter.push(input.subarray(at, at + size)));
    take(splitter.end());
    return lines;
  }

  const input = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from('a,b\r\n\r\nc\u00e9,d\n\n  \nlast\r', 'latin1'),
  ]);

  it.each([1, 2, 3, 5, 64])('gives the same lines in chunks of %i bytes: BOM and CRLF removed', (size) => {
    expect(linesOf(input, size)).toEqual(['a,b', '', 'c\u00e9,d', '', '  ', 'last']);
  });

  it('keeps a byte order mark in the middle of an input', () => {
    expect(linesOf(input, 4, true)[0]).toBe('\u00ef\u00bb\u00bfa,b');
  });

  it('carries at most MAX_LINE_CHARS + 1 bytes of a line without an end', () => {
    const splitter = new WholeLineSplitter();
    for (let i = 0; i < 5; i++) expect(splitter.push(Buffer.alloc(MAX_LINE_CHARS, 0x61))).toHaveLength(0);

    expect(splitter.end()).toHaveLength(MAX_LINE_CHARS + 1);
  });
});

describe('LineParser', () => {
  it('reads rows of the usual shape, leaves the others at 0 and names customers once', () => {
    const parser = new LineParser();
    const piece = Buffer.from(`c1,INGEST,a,${TS}\nc1,INGEST,"b",${TS}\r\nc2,INGEST,c,${TS}\n`, 'latin1');

    const first = parser.parse(piece);
    const second = parser.parse(Buffer.from(`c2,INGEST,d,${TS}`, 'latin1'));

    expect(first.count).toBe(3);
    expect([0, 1, 2].map((i) => first.rows[i * PARSED_WORDS])).toEqual([1, 0, 2]);
    expect(first.newCustomers).toEqual(['c1', 'c2']);
    expect(second.rows[0]).toBe(2);
    expect(second.newCustomers).toEqual([]);
    const id = first.rows.subarray(2 * PARSED_WORDS + 6, 2 * PARSED_WORDS + 8);
    expect(Buffer.from(first.bytes).toString('latin1', id[0], id[1])).toBe('c');
  });
});

describe('ByteTable', () => {
  it('keeps a copy of each key, so the bytes it was read from may change', () => {
    const table = new ByteTable();
    const bytes = Buffer.from('key1,key2', 'latin1');
    for (let i = 0; i < 100; i++) table.set(Buffer.from(`k${i}`), 0, `k${i}`.length, i);
    table.set(bytes, 0, 4, 1000);
    bytes.fill(0);

    expect(table.get(Buffer.from('key1'), 0, 4)).toBe(1000);
    expect(table.get(Buffer.from('k57'), 0, 3)).toBe(57);
    expect(table.get(Buffer.from('key2'), 0, 4)).toBe(-1);
    expect(table.size).toBe(101);
  });
});

describe('sortByDigest', () => {
  it('orders events by digest high then low word, ties on the high word included, keeping every event', () => {
    const n = 300;
    const events = new Uint32Array(n * 5);
    for (let i = 0; i < n; i++) {
      events[i * 5 + 1] = (i * 7) % 5;
      events[i * 5 + 2] = (i * 2654435761) >>> 0;
      events[i * 5 + 4] = i;
    }

    const sorted = sortByDigest(events);

    const keyOf = (array: Uint32Array, i: number) =>
      (array[i * 5 + 1] as number) * 2 ** 32 + (array[i * 5 + 2] as number);
    const keys = Array.from({ length: n }, (_, i) => keyOf(sorted, i));
    expect(keys).toEqual(Array.from({ length: n }, (_, i) => keyOf(events, i)).sort((a, b) => a - b));
    expect(new Set(Array.from({ length: n }, (_, i) => sorted[i * 5 + 4])).size).toBe(n);
  });
});
