/** The service name and metrics namespace of the Lambda's logs and metrics; the stack's alarms read them. */
export const SERVICE_NAME = 'event-counts';
export const METRICS_NAMESPACE = 'EventCounts';
/** Count of DynamoDB attempts the API function saw throttled (core/store-throttles.ts), by `service` only. */
export const STORE_THROTTLES_METRIC = 'StoreThrottles';

/** What one request adds to the service's metrics: its route, its status and how long it took. */
export interface RequestSample {
  /** The route as the OpenAPI document names it (`/v1/customers/{customer_id}/event_counts`), or `other`. */
  route: string;
  status: number;
  latencyMs: number;
}

/** Where request samples go: Powertools metrics in Lambda (lambda/observability.ts), nowhere locally. */
export type RecordRequest = (sample: RequestSample) => void;

// Matched at the end of the path, so a stage (`/prod`) or a custom domain's base path in front of the
// route does not matter. Customer ids never become metric dimensions: each distinct dimension value
// is a separate, billed CloudWatch metric.
const ROUTE_PATTERNS: [RegExp, string][] = [
  [/\/v1\/customers\/[^/]+\/event_counts$/, '/v1/customers/{customer_id}/event_counts'],
  [/\/v1\/customers\/[^/]+\/total_events$/, '/v1/customers/{customer_id}/total_events'],
  [/\/v1\/customers$/, '/v1/customers'],
  [/\/openapi\.json$/, '/openapi.json'],
];

/**
 * The route a path belongs to, for metrics and logs: an OpenAPI path template, `/` for the usage
 * page, or `other` for anything else (an unknown path can only add one dimension value).
 */
export function routeName(path: string): string {
  if (path === '/' || path === '') return '/';
  return ROUTE_PATTERNS.find(([pattern]) => pattern.test(path))?.[1] ?? 'other';
}
