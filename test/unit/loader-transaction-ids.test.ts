import { contentFingerprint, TransactionIdSet } from '../../loader/transaction-ids';

describe('TransactionIdSet', () => {
  it('tells a new id, a repeat with the same content and a reuse with other content apart', () => {
    const ids = new TransactionIdSet();
    const content = contentFingerprint('C1', 'INGEST', 1_000);

    expect(ids.add('t-1', content)).toBe('new');
    expect(ids.add('t-1', contentFingerprint('C1', 'INGEST', 1_000))).toBe('same');
    expect(ids.add('t-1', contentFingerprint('C2', 'INGEST', 1_000))).toBe('conflict');
    expect(ids.add('t-1', contentFingerprint('C1', 'INGEST-WITH-PROXY', 1_000))).toBe('conflict');
    expect(ids.add('t-1', contentFingerprint('C1', 'INGEST', 1_001))).toBe('conflict');
    expect(ids.size).toBe(1);
  });

  it('keeps every id through its growth: 100,000 distinct ids, each new once and then seen', () => {
    const ids = new TransactionIdSet();
    const results = { new: 0, same: 0, conflict: 0 };

    for (let i = 0; i < 100_000; i++) results[ids.add(`id-${i}`, i)]++;
    for (let i = 0; i < 100_000; i += 7) results[ids.add(`id-${i}`, i)]++;

    expect(results).toEqual({ new: 100_000, same: Math.ceil(100_000 / 7), conflict: 0 });
    expect(ids.size).toBe(100_000);
    // 16 bytes a slot, at most 70% full.
    expect(ids.bytes).toBe(16 * 2 ** 18);
  });

  it('tells apart ids that differ only in padding, case, length or non-ASCII characters', () => {
    const ids = new TransactionIdSet();
    const similar = [
      'a',
      'a\u0000',
      'A',
      'aa',
      '',
      'é',
      'e\u0301',
      '12345678',
      '123456780',
      'Wed Mar  3',
      'Wed Mar 3',
    ];

    expect(similar.map((id) => ids.add(id, 0))).toEqual(similar.map(() => 'new'));
  });
});
