import {
  counterKey,
  customerPk,
  DIRECTORY_SHARDS,
  digestFragmentKey,
  directoryKey,
  directoryPk,
  directoryShard,
  FORMAT_KEY,
  hourKeyPart,
  hourOfCounterSk,
  hourRange,
  indexMinuteKey,
  indexMinuteRange,
  indexWholeKey,
  indexWholeRange,
  LEGACY_DIRECTORY_PK,
  MAX_WRITE_VERSION,
} from '../../core/keys';

const HOUR = 3_600_000;
const H = Date.UTC(2021, 2, 1, 4);

/** DynamoDB's `BETWEEN first AND last` on a string sort key (every key here is ASCII). */
const between = (sk: string, first: string, last: string) => first <= sk && sk <= last;

/** The sort keys of every item kind one customer has for the hours `hours`. */
function customerSortKeys(hours: number[]): string[] {
  return hours.flatMap((hour) => [
    counterKey('alpha', hour).sk,
    ...[1, 2, 10, MAX_WRITE_VERSION].flatMap((version) => [
      indexWholeKey('alpha', hour, version).sk,
      ...[0, 1, 9, 10, 59].map((minute) => indexMinuteKey('alpha', hour, minute, version).sk),
      ...[0, 1, 12].map((part) => digestFragmentKey('alpha', hour, version, part).sk),
    ]),
  ]);
}

describe('hourKeyPart', () => {
  it('formats an hour start as the 13 characters yyyy-mm-ddThh', () => {
    expect(hourKeyPart(H)).toBe('2021-03-01T04');
  });

  it('is read back by hourOfCounterSk from a counter sort key', () => {
    expect(hourOfCounterSk(counterKey('alpha', H).sk)).toBe(H);
  });
});

describe('item keys of a customer', () => {
  it('keys each kind of item as the layout documents', () => {
    expect(counterKey('alpha', H)).toEqual({ pk: 'C#alpha', sk: 'H#2021-03-01T04' });
    expect(indexWholeKey('alpha', H, 7)).toEqual({ pk: 'C#alpha', sk: 'I#2021-03-01T04#W#000007' });
    expect(indexMinuteKey('alpha', H, 5, 7)).toEqual({ pk: 'C#alpha', sk: 'I#2021-03-01T04#M05#000007' });
    expect(digestFragmentKey('alpha', H, 7, 2)).toEqual({
      pk: 'C#alpha',
      sk: 'X#2021-03-01T04#000007#0002',
    });
  });

  it('sorts fragments by write version, then part, even past one digit', () => {
    const keys = [
      digestFragmentKey('alpha', H, 10, 0).sk,
      digestFragmentKey('alpha', H, 2, 11).sk,
      digestFragmentKey('alpha', H, 2, 2).sk,
      digestFragmentKey('alpha', H, MAX_WRITE_VERSION, 0).sk,
      digestFragmentKey('alpha', H, 1, 0).sk,
    ];

    expect([...keys].sort()).toEqual([
      'X#2021-03-01T04#000001#0000',
      'X#2021-03-01T04#000002#0002',
      'X#2021-03-01T04#000002#0011',
      'X#2021-03-01T04#000010#0000',
      'X#2021-03-01T04#999999#0000',
    ]);
  });

  it('sorts time index items by minute, then write, and the W items after every minute part', () => {
    const keys = [
      indexWholeKey('alpha', H, 2).sk,
      indexMinuteKey('alpha', H, 10, 1).sk,
      indexMinuteKey('alpha', H, 9, 2).sk,
      indexMinuteKey('alpha', H, 9, 10).sk,
      indexWholeKey('alpha', H, 1).sk,
    ];

    expect([...keys].sort()).toEqual([
      'I#2021-03-01T04#M09#000002',
      'I#2021-03-01T04#M09#000010',
      'I#2021-03-01T04#M10#000001',
      'I#2021-03-01T04#W#000001',
      'I#2021-03-01T04#W#000002',
    ]);
  });

  it("holds the hour's W items, and nothing else, in indexWholeRange", () => {
    const { first, last } = indexWholeRange(H);

    const selected = customerSortKeys([H - HOUR, H, H + HOUR]).filter((sk) => between(sk, first, last));

    expect(selected.sort()).toEqual(
      [1, 2, 10, MAX_WRITE_VERSION].map((version) => indexWholeKey('alpha', H, version).sk).sort(),
    );
  });

  it.each([0, 9, 10, 59])(
    "holds minute %i's parts of the hour, and nothing else, in indexMinuteRange",
    (minute) => {
      const { first, last } = indexMinuteRange(H, minute);

      const selected = customerSortKeys([H - HOUR, H, H + HOUR]).filter((sk) => between(sk, first, last));

      expect(selected.sort()).toEqual(
        [1, 2, 10, MAX_WRITE_VERSION].map((version) => indexMinuteKey('alpha', H, minute, version).sk).sort(),
      );
    },
  );

  it('reads counters only in a BETWEEN from the first to the last hour counter', () => {
    const hours = Array.from({ length: 30 }, (_, i) => H + (i - 5) * HOUR);
    const first = counterKey('alpha', H).sk;
    const last = counterKey('alpha', H + 20 * HOUR).sk;

    const selected = customerSortKeys(hours).filter((sk) => between(sk, first, last));

    expect(selected.every((sk) => sk.startsWith('H#'))).toBe(true);
    expect(selected.sort()).toEqual(
      Array.from({ length: 21 }, (_, i) => counterKey('alpha', H + i * HOUR).sk).sort(),
    );
  });

  it.each(['I', 'X'] as const)(
    'holds every %s# item of one hour, and nothing else, in hourRange',
    (prefix) => {
      const hours = [H - HOUR, H, H + HOUR, H + 24 * HOUR];
      const { first, last } = hourRange(prefix, H);

      const selected = customerSortKeys(hours).filter((sk) => between(sk, first, last));

      const expected = customerSortKeys([H]).filter((sk) => sk.startsWith(`${prefix}#2021-03-01T04`));
      expect(selected.sort()).toEqual(expected.sort());
      // Four versions of three digest parts, or of one W item and five minute parts.
      expect(selected).toHaveLength(prefix === 'X' ? 12 : 24);
    },
  );

  it('keeps the hours before and after out of an X hourRange', () => {
    const { first, last } = hourRange('X', H);

    expect(between(digestFragmentKey('alpha', H + HOUR, 1, 0).sk, first, last)).toBe(false);
    expect(between(digestFragmentKey('alpha', H - HOUR, MAX_WRITE_VERSION, 9_999).sk, first, last)).toBe(
      false,
    );
  });
});

describe('customer and internal partitions', () => {
  const awkwardIds = [
    'customers',
    'customers#00',
    'table',
    'FORMAT',
    'D#customers',
    'D#customers#00',
    'M#table',
    'C#alpha',
    '#',
    'a',
    'b4f9279a0196e40632e947dd1a88e857',
  ];
  const internalPks = [
    ...Array.from({ length: DIRECTORY_SHARDS }, (_, shard) => directoryPk(shard)),
    FORMAT_KEY.pk,
    LEGACY_DIRECTORY_PK,
  ];

  it.each(awkwardIds)('never puts the items of customer %p in an internal partition', (customerId) => {
    const pks = [
      customerPk(customerId),
      counterKey(customerId, H).pk,
      indexWholeKey(customerId, H, 1).pk,
      indexMinuteKey(customerId, H, 0, 1).pk,
      digestFragmentKey(customerId, H, 1, 0).pk,
    ];

    for (const pk of pks) {
      expect(pk).toBe(`C#${customerId}`);
      expect(internalPks).not.toContain(pk);
    }
  });

  it('gives two customers two partitions', () => {
    expect(customerPk('alpha')).not.toBe(customerPk('alpha2'));
    expect(new Set(awkwardIds.map(customerPk)).size).toBe(awkwardIds.length);
  });

  it('names the directory shards D#customers#00 to D#customers#15, apart from the legacy partition', () => {
    expect(directoryPk(0)).toBe('D#customers#00');
    expect(directoryPk(15)).toBe('D#customers#15');
    expect(new Set(internalPks).size).toBe(internalPks.length);
  });

  it('keys a directory entry by the customer id in its shard', () => {
    expect(directoryKey('alpha')).toEqual({ pk: directoryPk(directoryShard('alpha')), sk: 'alpha' });
  });
});

describe('directoryShard', () => {
  const ids = Array.from({ length: 1_000 }, (_, i) => `customer-${String(i).padStart(4, '0')}`);

  it('gives the same shard for the same id, every time', () => {
    const first = ids.map(directoryShard);

    expect(ids.map((id) => directoryShard(id.slice(0)))).toEqual(first);
  });

  it('keeps known ids in the shards they were first written to', () => {
    // A customer's shard is where its directory entry lives: another hash would hide stored entries.
    // FNV-1a 32 of '' is 0x811c9dc5 and of 'a' 0xe40c292c (the published test vectors): shards 5 and 12.
    expect(
      ['', 'a', 'alpha', 'customer-0001', 'b4f9279a0196e40632e947dd1a88e857'].map(directoryShard),
    ).toEqual([5, 12, 11, 15, 13]);
  });

  it('returns an integer shard in [0, 16)', () => {
    for (const id of [...ids, '', 'a', 'x'.repeat(128), '\uffff'.repeat(3)]) {
      const shard = directoryShard(id);
      expect(Number.isInteger(shard)).toBe(true);
      expect(shard).toBeGreaterThanOrEqual(0);
      expect(shard).toBeLessThan(DIRECTORY_SHARDS);
    }
  });

  it('spreads 1,000 similar ids over every shard, none holding more than twice its share', () => {
    const perShard = new Array<number>(DIRECTORY_SHARDS).fill(0);
    for (const id of ids) perShard[directoryShard(id)] = (perShard[directoryShard(id)] ?? 0) + 1;

    const share = ids.length / DIRECTORY_SHARDS;
    expect(Math.min(...perShard)).toBeGreaterThan(share / 2);
    expect(Math.max(...perShard)).toBeLessThan(share * 2);
  });
});
