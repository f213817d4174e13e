import { CustomerNotFoundError, InvalidParameterError, TableNotFoundError } from '../../core/errors';
import type { EventCountsBody } from '../../lambda/response-bodies';
import {
  describeCliError,
  formatColumns,
  formatCountsChart,
  formatCountsTable,
  formatUtc,
} from '../../local/cli-support';

const BODY: EventCountsBody = {
  customer_id: 'c1',
  starting_at: '2021-03-01T04:00:00.000Z',
  ending_before: '2021-03-01T06:30:00.000Z',
  window_size: 'hour',
  total: 2310,
  buckets: [
    { starting_at: '2021-03-01T04:00:00.000Z', ending_before: '2021-03-01T05:00:00.000Z', count: 408 },
    { starting_at: '2021-03-01T05:00:00.000Z', ending_before: '2021-03-01T06:00:00.000Z', count: 1133 },
    { starting_at: '2021-03-01T06:00:00.000Z', ending_before: '2021-03-01T06:30:00.000Z', count: 769 },
  ],
};

describe('formatUtc', () => {
  it('drops zero seconds and milliseconds but keeps any that are set', () => {
    expect(formatUtc('2021-03-01T04:00:00.000Z')).toBe('2021-03-01 04:00');
    expect(formatUtc('2021-03-01T04:00:30.000Z')).toBe('2021-03-01 04:00:30');
    expect(formatUtc('2021-03-01T04:00:00.250Z')).toBe('2021-03-01 04:00:00.250');
  });
});

describe('formatColumns', () => {
  it('pads columns two spaces apart and right-aligns the listed ones', () => {
    expect(
      formatColumns(
        [
          ['a', '1'],
          ['bbb', '22'],
        ],
        [1],
      ),
    ).toBe('a     1\nbbb  22');
  });
});

describe('formatCountsTable', () => {
  it('lists each bucket, marks the partial one and ends with the total', () => {
    expect(formatCountsTable(BODY)).toBe(
      [
        'c1, window hour, [2021-03-01 04:00, 2021-03-01 06:30) UTC',
        'bucket start      bucket end        count',
        '2021-03-01 04:00  2021-03-01 05:00    408',
        '2021-03-01 05:00  2021-03-01 06:00   1133',
        '2021-03-01 06:00  2021-03-01 06:30    769  partial',
        'total                                2310',
      ].join('\n'),
    );
  });
});

describe('formatCountsChart', () => {
  it('scales the busiest bucket to the bar width, in eighths of a character, within the terminal width', () => {
    const lines = formatCountsChart(BODY, 60).split('\n');

    // 60 columns less the label, the count and the partial note leave 26 for the bars.
    const bars = lines.slice(1, 4).map((line) => line.match(/[█▏▎▍▌▋▊▉]+/)?.[0] ?? '');
    expect(bars[1]).toBe('█'.repeat(26));
    expect(bars[0]).toBe(`${'█'.repeat(9)}▍`); // 408 / 1133 * 26 = 9.36, or 9 and 3 eighths
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(60);
    expect(lines[3]).toMatch(/769 partial$/);
    expect(lines[4]).toBe('total             2310');
  });
});

describe('describeCliError', () => {
  it('turns a bad parameter into exit 2 naming the option', () => {
    const error = new InvalidParameterError('window_size', 'window_size must be one of hour, day, none');

    expect(describeCliError(error, 'table t', { window_size: '--window-size' })).toEqual({
      message: 'window_size must be one of hour, day, none (--window-size)',
      exitCode: 2,
    });
  });

  it('turns a missing customer or table into exit 1', () => {
    const missingTable = new TableNotFoundError('t');

    expect(describeCliError(new CustomerNotFoundError('c1', 'no events'), 'table t', {}).exitCode).toBe(1);
    expect(describeCliError(missingTable, 'table t at http://x', {})).toEqual({
      message: 'table t at http://x does not exist; load events first: npm run load -- data/events.csv',
      exitCode: 1,
    });
  });
});
