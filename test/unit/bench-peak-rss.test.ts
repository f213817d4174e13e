import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { peakRssMb } from '../../bench/peak-rss';

const ROOT = join(__dirname, '..', '..');

describe('peakRssMb', () => {
  it("reports this process's peak in MiB", () => {
    const peak = peakRssMb();
    expect(peak).toBeGreaterThan(10);
    expect(peak).toBeLessThanOrEqual(process.resourceUsage().maxRSS / 1024 + 1);
  });

  it('gives a bench child its own peak, not that of the large parent that started it', () => {
    // 400 MB touched in this process before the child starts: Linux's ru_maxrss would carry it over.
    const ballast = Buffer.alloc(400 * 1024 * 1024, 1);
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'bench/load-child.ts', 'baseline'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const childPeak = (JSON.parse(output.trim().split('\n').at(-1) ?? '') as { peakRssMb: number }).peakRssMb;
    expect(ballast.length).toBe(400 * 1024 * 1024);
    expect(childPeak).toBeGreaterThan(10);
    expect(childPeak).toBeLessThan(300);
  }, 30_000);
});
