import { type CountReader, queryTotalEvents } from '../../core/event-counts';

describe('queryTotalEvents', () => {
  it('answers 0 without reading when only ending_before is given and it is the epoch', async () => {
    const reader: CountReader = {
      queryHourCounts: jest.fn(async () => new Map<number, number>()),
      countEventsInHour: jest.fn(async () => 0),
    };

    const total = await queryTotalEvents(reader, 'c1', { end: 0 });

    expect(total).toBe(0);
    expect(reader.queryHourCounts).not.toHaveBeenCalled();
  });
});
