import { seededRandom } from './stats';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The questions the benchmark asks, from a single counter to a year of hourly buckets. */
export const QUERY_SHAPES = [
  { id: '1h', label: '1 whole hour', hours: 1, partialEdges: false },
  { id: '3h-partial', label: '3 hours, both edges partial', hours: 3, partialEdges: true },
  { id: '72h-partial', label: '72 hours, partial edges', hours: 72, partialEdges: true },
  { id: '30d', label: '30 days', days: 30 },
  { id: '366d', label: '366 days', days: 366 },
] as const;

export type QueryShape = (typeof QUERY_SHAPES)[number];
export type ShapeId = QueryShape['id'];

/** One question: events of `customerId` in each clock hour of `[start, end)`. */
export interface QueryRequest {
  customerId: string;
  start: number;
  end: number;
}

/** What the planner needs to know about a data set: who sends most, and when. */
export interface DatasetSpan {
  /** Customers with the most events first. */
  customers: { customerId: string; events: number }[];
  firstEventAt: number;
  lastEventAt: number;
}

/** One answer, reduced to what the cross-check compares. */
export interface Answer {
  total: number;
  buckets: { starting_at: string; ending_before: string; count: number }[];
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;

/**
 * Plans `count` distinct requests of one shape over a data set: the heaviest customers in turn
 * (they have the largest time indexes), ranges placed inside the data where the shape fits, or
 * covering all of it where it does not. Partial edges start and end at random milliseconds.
 */
export function planRequests(
  shape: QueryShape,
  span: DatasetSpan,
  count: number,
  seed: number,
): QueryRequest[] {
  const random = seededRandom(seed);
  const pick = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const customers = span.customers.slice(0, 3);
  if (customers.length === 0) throw new Error('the data set has no customers to query');
  const requests: QueryRequest[] = [];
  for (let i = 0; i < count; i++) {
    const customerId = (customers[i % customers.length] as { customerId: string }).customerId;
    if ('days' in shape) {
      const firstDay = floorTo(span.firstEventAt, DAY);
      const dataDays = (floorTo(span.lastEventAt, DAY) - firstDay) / DAY + 1;
      const slack = dataDays - shape.days;
      const start = firstDay + pick(Math.min(0, slack), Math.max(0, slack)) * DAY;
      requests.push({ customerId, start, end: start + shape.days * DAY });
      continue;
    }
    const firstHour = floorTo(span.firstEventAt, HOUR);
    const dataHours = (floorTo(span.lastEventAt, HOUR) - firstHour) / HOUR + 1;
    const hour = firstHour + pick(0, Math.max(0, dataHours - shape.hours)) * HOUR;
    const startOffset = shape.partialEdges ? pick(1, HOUR - 1) : 0;
    const endOffset = shape.partialEdges ? pick(1, HOUR - 1) : HOUR;
    requests.push({
      customerId,
      start: hour + startOffset,
      end: hour + (shape.hours - 1) * HOUR + endOffset,
    });
  }
  return requests;
}

/** The query string of a request, as a caller of the HTTP API writes it. */
export function queryString(request: QueryRequest): string {
  const start = new Date(request.start).toISOString();
  const end = new Date(request.end).toISOString();
  return `starting_at=${encodeURIComponent(start)}&ending_before=${encodeURIComponent(end)}`;
}

/** Path of the event counts route for a request's customer. */
export function eventCountsPath(request: QueryRequest): string {
  return `/v1/customers/${encodeURIComponent(request.customerId)}/event_counts`;
}

/** Reads the total and buckets of an event counts JSON body. */
export function parseAnswer(body: string): Answer {
  const parsed = JSON.parse(body) as Partial<Answer>;
  if (typeof parsed.total !== 'number' || !Array.isArray(parsed.buckets)) {
    throw new Error(`not an event counts body: ${body.slice(0, 200)}`);
  }
  return {
    total: parsed.total,
    buckets: parsed.buckets.map(({ starting_at, ending_before, count }) => ({
      starting_at,
      ending_before,
      count,
    })),
  };
}

/** The first difference between two answers, or undefined when they are identical. */
export function findDifference(expected: Answer, actual: Answer): string | undefined {
  if (expected.buckets.length !== actual.buckets.length) {
    return `${actual.buckets.length} buckets instead of ${expected.buckets.length}`;
  }
  for (let i = 0; i < expected.buckets.length; i++) {
    const want = expected.buckets[i];
    const got = actual.buckets[i];
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      return `bucket ${i}: ${JSON.stringify(got)} instead of ${JSON.stringify(want)}`;
    }
  }
  if (expected.total !== actual.total) return `total ${actual.total} instead of ${expected.total}`;
  return undefined;
}
