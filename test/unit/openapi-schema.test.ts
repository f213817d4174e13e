import Ajv2020 from 'ajv/dist/2020';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { OPENAPI_DOCUMENT } from '../../lambda/openapi-document';
import { type ApiReader, createRouter } from '../../lambda/routes';
import { apiEvent } from '../support/api-event';
import { mutations, sampleMatching, seededRandom } from '../support/regex-samples';

/*
 * The served OpenAPI document states each query and path parameter exactly as the router checks it,
 * in the direction a schema-driven fuzzer relies on: every value the schema admits is accepted, so
 * every value the router refuses is one the schema refuses too. Valid values are drawn from the
 * schemas' own patterns; candidates near them (one character off) and known bad values probe the
 * boundary from both sides.
 */

const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';

const reader: ApiReader = {
  queryHourCounts: async () => new Map(),
  countEventsInHour: async () => 0,
  getCustomer: async () => undefined,
  listCustomers: async () => ({ customers: [] }),
};
const router = createRouter(reader, () => {});

interface Parameter {
  name: string;
  in: 'query' | 'path';
  schema: Record<string, unknown>;
}

type Document = {
  paths: Record<string, { get: { parameters: (Parameter | { $ref: string })[] } }>;
  components: { parameters: Record<string, Parameter>; schemas: Record<string, Record<string, unknown>> };
};
const document = OPENAPI_DOCUMENT as unknown as Document;

const ajv = new Ajv2020({ strict: false });
ajv.addSchema({ ...OPENAPI_DOCUMENT, $id: 'openapi' });

/** The parameter of a path, `$ref`s resolved, and its schema compiled (query values are strings). */
function parameter(path: string, name: string) {
  const found = document.paths[path]?.get.parameters
    .map((entry) =>
      '$ref' in entry
        ? (document.components.parameters[entry.$ref.split('/').pop() ?? ''] as Parameter)
        : entry,
    )
    .find((entry) => entry.name === name);
  if (found === undefined) throw new Error(`${path} documents no parameter ${name}`);
  const ref = found.schema.$ref as string | undefined;
  // A $ref is resolved inside the document, which ajv holds under the id `openapi`.
  const validate = ajv.compile(ref === undefined ? found.schema : { $ref: `openapi${ref}` });
  const schema =
    ref === undefined ? found.schema : (document.components.schemas[ref.split('/').pop() ?? ''] ?? {});
  return {
    schema,
    // An integer parameter arrives as text: the fuzzer sends integers as their decimal digits.
    admits: (value: string) =>
      validate(schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value),
  };
}

/** The router's status for one value of the parameter, everything else valid. */
async function statusFor(path: string, name: string, value: string): Promise<number> {
  let event: APIGatewayProxyEventV2;
  if (name === 'customer_id') {
    event = apiEvent(path.replace('{customer_id}', encodeURIComponent(value)));
  } else {
    const customerPath = path.replace('{customer_id}', CUSTOMER);
    const range = { starting_at: '2021-03-01T00:00:00Z', ending_before: '2021-03-02T00:00:00Z' };
    event = apiEvent(customerPath, name === 'window_size' ? { ...range, [name]: value } : { [name]: value });
  }
  return (await router(event, 'schema-check')).statusCode ?? 0;
}

// The parameters a request to `path` may carry, and the paths that take each alone.
const CASES: [path: string, name: string][] = [
  ['/v1/customers/{customer_id}/total_events', 'starting_at'],
  ['/v1/customers/{customer_id}/total_events', 'ending_before'],
  ['/v1/customers/{customer_id}/total_events', 'customer_id'],
  ['/v1/customers/{customer_id}/event_counts', 'window_size'],
  ['/v1/customers', 'next_page'],
  ['/v1/customers', 'limit'],
];

/** Values near the boundary of what the parameter takes, whatever its schema. */
const KNOWN_BAD = [
  '',
  ' ',
  'yesterday',
  '2021-03-01T04:00:00,000Z',
  '2021-03-01T04:00:00,5+05:00',
  '2021-02-29',
  '2021-04-31T00:00Z',
  '1969-12-31T23:59:59Z',
  '1970-01-01T00:30+01:00',
  '9999-12-31T23:30-01:00',
  '10000-01-01',
  '2021-03-01T24:00Z',
  '2021-03-01T04:60Z',
  '2021-03-01T04:00:00+24',
  '2021-03-01T04:00:00+01:60',
  '2021-03-01T04:00:00.1234567890Z',
  '2021-03-01Z',
  'after:',
  'after:-x',
  `after:${'a'.repeat(129)}`,
  'eyJhZnRlciI6ImEifQ',
  '0',
  '1001',
  '01',
  '1.0',
  '+5',
  '-1',
  'HOUR',
  'week',
  'a'.repeat(129),
  '-acme',
  'acme corp',
];

describe('docs/openapi.yaml against the router', () => {
  it.each(CASES)('%s: every %s its schema pattern generates is accepted', async (path, name) => {
    const { schema, admits } = parameter(path, name);
    const values =
      typeof schema.pattern === 'string'
        ? sampleMatching(schema.pattern, 300, name.length)
        : Array.isArray(schema.enum)
          ? schema.enum.map(String)
          : ['1', '2', '100', '999', '1000'];

    const refused: string[] = [];
    for (const value of values) {
      expect({ value, admitted: admits(value) }).toEqual({ value, admitted: true });
      if ((await statusFor(path, name, value)) === 400) refused.push(value);
    }

    expect(refused).toEqual([]);
  });

  it.each(CASES)('%s: every %s the router refuses, the schema refuses too', async (path, name) => {
    const { schema, admits } = parameter(path, name);
    const random = seededRandom(7);
    const seeds =
      typeof schema.pattern === 'string'
        ? sampleMatching(schema.pattern, 60, 3)
        : ['hour', 'day', '100', '1000'];
    const candidates = [
      ...KNOWN_BAD,
      ...seeds.flatMap((seed) => mutations(seed, 10, random, '0123456789-:.,+ TZtzaA_@#%/')),
    ];

    const admittedButRefused: string[] = [];
    let refusals = 0;
    for (const value of candidates) {
      if ((await statusFor(path, name, value)) !== 400) continue;
      refusals++;
      if (admits(value)) admittedButRefused.push(value);
    }

    expect(admittedButRefused).toEqual([]);
    // The candidates do probe the boundary: many of them are refused.
    expect(refusals).toBeGreaterThan(KNOWN_BAD.length / 2);
  });
});
