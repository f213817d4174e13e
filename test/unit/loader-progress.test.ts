import { createProgressReporter, formatProgress } from '../../loader/progress';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, columns: 200, writes, write: (text: string) => writes.push(text) };
}

describe('formatProgress', () => {
  it('shows a bar, MB, rows/s and ETA while reading a file of known size, within 80 columns', () => {
    const line = formatProgress(
      { phase: 'reading', bytesRead: 467_100_000, rows: 4_500_000 },
      15,
      1_038_400_000,
    );

    expect(line).toBe('reading [#########-----------]  44% 467/1038 MB, 300,000 rows/s, ETA 0:18');
    expect(line.length).toBeLessThan(80);
  });

  it('shows MB, rows and rows/s without a bar or ETA when the size is unknown (stdin)', () => {
    expect(formatProgress({ phase: 'reading', bytesRead: 1_500_000, rows: 3_000 }, 2)).toBe(
      'reading 1.5 MB, 3,000 rows, 1,500 rows/s',
    );
  });

  it('shows hours, hours/s and ETA while writing', () => {
    expect(formatProgress({ phase: 'writing', hoursDone: 300, hours: 400 }, 3_600)).toBe(
      'writing [###############-----]  75% 300/400 hours, 0.1 hours/s, ETA 20:00',
    );
    expect(formatProgress({ phase: 'writing', hoursDone: 100, hours: 400 }, 10_000)).toContain('ETA 8:20:00');
  });

  it('leaves out rates and ETA in the first second of a phase', () => {
    expect(formatProgress({ phase: 'writing', hoursDone: 1, hours: 400 }, 0.01)).toBe(
      'writing [--------------------]   0% 1/400 hours',
    );
  });
});

describe('createProgressReporter', () => {
  it('writes nothing at all when the stream is not a terminal', () => {
    const stream = fakeStream(false);
    const progress = createProgressReporter({ stream, totalBytes: 100 });

    progress.update({ phase: 'reading', bytesRead: 50, rows: 5 });
    progress.finish();

    expect(stream.writes).toEqual([]);
  });

  it('redraws one line at most every interval, at once on a new phase, and clears it at the end', () => {
    const stream = fakeStream(true);
    let now = 0;
    const progress = createProgressReporter({ stream, totalBytes: 100, now: () => now, intervalMs: 100 });

    progress.update({ phase: 'reading', bytesRead: 10, rows: 1 });
    now = 50;
    progress.update({ phase: 'reading', bytesRead: 20, rows: 2 });
    now = 150;
    progress.update({ phase: 'reading', bytesRead: 30, rows: 3 });
    now = 160;
    progress.update({ phase: 'writing', hoursDone: 1, hours: 4 });
    progress.finish();

    expect(stream.writes.map((text) => text.replace('\r\x1b[2K', '').split(' ')[0])).toEqual([
      'reading',
      'reading',
      'writing',
      '',
    ]);
    expect(stream.writes.every((text) => text.startsWith('\r\x1b[2K'))).toBe(true);
  });

  it('cuts the line to the terminal width', () => {
    const stream = { ...fakeStream(true), columns: 20 };
    createProgressReporter({ stream, totalBytes: 100 }).update({ phase: 'reading', bytesRead: 1, rows: 1 });

    expect(stream.writes[0]?.replace('\r\x1b[2K', '')).toHaveLength(19);
  });

  it('assumes 80 columns when the terminal reports 0', () => {
    const stream = { ...fakeStream(true), columns: 0 };
    createProgressReporter({ stream }).update({ phase: 'reading', bytesRead: 1, rows: 1 });

    expect(stream.writes[0]?.replace('\r\x1b[2K', '')).toBe('reading 0.0 MB, 1 rows');
  });
});
