import { createReadStream, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { StoreThrottledError } from '../../core/errors';
import { createRouter } from '../../lambda/routes';
import { loadEvents } from '../../loader/load-events';
import { createLocalServer } from '../../local/server';
import { createTestTable, type TestTable } from '../support/dynamodb';
import { type SampleFile, writeSample } from '../support/sample';

const CUSTOMER = 'b4f9279a0196e40632e947dd1a88e857';

interface OpenApiResponse {
  $ref?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
  components: { responses: Record<string, OpenApiResponse> };
}

const document = parse(readFileSync('docs/openapi.yaml', 'utf8')) as OpenApiDocument;

const TEMPLATES: [RegExp, string][] = [
  [/^\/$/, '/'],
  [/^\/openapi\.json$/, '/openapi.json'],
  [/^\/v1\/customers$/, '/v1/customers'],
  [/^\/v1\/customers\/[^/]+\/event_counts$/, '/v1/customers/{customer_id}/event_counts'],
  [/^\/v1\/customers\/[^/]+\/total_events$/, '/v1/customers/{customer_id}/total_events'],
];

function templateOf(path: string): string {
  const template = TEMPLATES.find(([pattern]) => pattern.test(path))?.[1];
  if (template === undefined) throw new Error(`no documented path matches ${path}`);
  return template;
}

/** `#/a/b~1c` as the list of keys `a`, `b/c`. */
const pointer = (ref: string) =>
  ref
    .replace(/^#\//, '')
    .split('/')
    .map((key) => key.replaceAll('~1', '/').replaceAll('~0', '~'));

function resolve(value: unknown): unknown {
  let node: unknown = document;
  for (const key of pointer((value as { $ref: string }).$ref)) node = (node as Record<string, unknown>)[key];
  return node;
}

function allRefs(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) allRefs(item, found);
  else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') found.push(value);
      else allRefs(value, found);
    }
  }
  return found;
}

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
ajv.addSchema({ ...document, $id: 'openapi' });

/** Every (path, method, status) the document lists, and those a real response was checked for. */
const documented = new Set(
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, operation]) =>
      Object.keys(operation.responses).map((status) => `${method.toUpperCase()} ${path} ${status}`),
    ),
  ),
);
const exercised = new Set<string>();

/**
 * Checks a real response against the document: the status is listed for the path, the content
 * type is the documented one, documented headers are present, and the body matches the schema.
 */
async function expectDocumented(response: Response): Promise<unknown> {
  const method = 'GET';
  const path = templateOf(new URL(response.url).pathname);
  const status = String(response.status);
  const key = `${method} ${path} ${status}`;
  const listed = document.paths[path]?.[method.toLowerCase()]?.responses[status];
  expect({ key, listed: listed !== undefined }).toEqual({ key, listed: true });
  const spec = (listed?.$ref === undefined ? listed : resolve(listed)) as OpenApiResponse;
  for (const header of Object.keys(spec.headers ?? {})) {
    expect({ key, header, present: response.headers.has(header) }).toEqual({ key, header, present: true });
  }
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0] as string;
  expect(Object.keys(spec.content ?? {})).toContain(mediaType);
  const text = await response.text();
  const body: unknown = mediaType === 'application/json' ? JSON.parse(text) : text;
  const schemaPointer =
    listed?.$ref ??
    `#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${status}`;
  const validate = ajv.compile({
    $ref: `openapi${schemaPointer}/content/${mediaType.replace('/', '~1')}/schema`,
  });
  const valid = validate(body);
  expect({ key, errors: valid ? null : validate.errors }).toEqual({ key, errors: null });
  exercised.add(key);
  return body;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('docs/openapi.yaml', () => {
  let table: TestTable;
  let sample: SampleFile;
  let server: Server;
  let base: string;
  const failing: Record<string, { server: Server; base: string }> = {};

  beforeAll(async () => {
    table = await createTestTable('openapi');
    sample = writeSample();
    await loadEvents({ store: table.store, input: createReadStream(sample.path), source: sample.path });
    server = createLocalServer(createRouter(table.store));
    base = await listen(server);
    // Stores whose every read fails: with a plain error (500) or with DynamoDB throttling (503), as
    // the DynamoDB store reports it.
    for (const [status, failure] of [
      ['500', () => new Error('simulated failure')],
      ['503', () => new StoreThrottledError('simulated failure')],
    ] as const) {
      const fail = async () => {
        throw failure();
      };
      const failingServer = createLocalServer(
        createRouter({
          queryHourCounts: fail,
          countEventsInHour: fail,
          getCustomer: fail,
          listCustomers: fail,
        }),
      );
      failing[status] = { server: failingServer, base: await listen(failingServer) };
    }
  });

  afterAll(async () => {
    const servers = [server, ...Object.values(failing).map((entry) => entry.server)];
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    sample.remove();
    await table.drop();
  });

  it('is OpenAPI 3.1 and every $ref in it resolves', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    for (const ref of allRefs(document))
      expect({ ref, resolved: resolve({ $ref: ref }) !== undefined }).toEqual({ ref, resolved: true });
  });

  it('is served at /openapi.json exactly as the YAML says (after editing it: npm run openapi)', async () => {
    const body = await expectDocumented(await fetch(`${base}/openapi.json`));

    expect(body).toEqual(document);
  });

  it('describes the usage page at /', async () => {
    const body = await expectDocumented(await fetch(`${base}/`));

    expect(body).toContain('<title>event-counts');
  });

  it.each([
    'starting_at=2021-03-01T04:00:00Z&ending_before=2021-03-01T06:30:00Z',
    'starting_at=2021-03-01T04:10:00Z&ending_before=2021-03-03T06:30:00Z&window_size=day',
    'window_size=none',
    '',
  ])('describes event_counts answers (?%s)', async (query) => {
    const body = (await expectDocumented(
      await fetch(`${base}/v1/customers/${CUSTOMER}/event_counts?${query}`),
    )) as {
      buckets: unknown[];
    };

    expect(body.buckets.length).toBeGreaterThan(0);
  });

  it.each(['', 'starting_at=2021-03-02', `ending_before=${encodeURIComponent('2021-03-02T12:00:00+01:00')}`])(
    'describes total_events answers (?%s)',
    async (query) => {
      const body = (await expectDocumented(
        await fetch(`${base}/v1/customers/${CUSTOMER}/total_events?${query}`),
      )) as {
        total_events: number;
      };

      expect(body.total_events).toBeGreaterThan(0);
    },
  );

  it('describes customer pages, with and without a next page', async () => {
    const first = (await expectDocumented(await fetch(`${base}/v1/customers?limit=4`))) as {
      next_page: string;
    };
    const second = (await expectDocumented(
      await fetch(`${base}/v1/customers?limit=4&next_page=${first.next_page}`),
    )) as { next_page: string | null };

    expect(typeof first.next_page).toBe('string');
    expect(second.next_page).toBeNull();
  });

  it.each([
    `/v1/customers/${CUSTOMER}/event_counts?starting_at=yesterday`,
    `/v1/customers/${CUSTOMER}/event_counts?window_size=week`,
    `/v1/customers/${CUSTOMER}/event_counts?starting_at=2021-03-02&ending_before=2021-03-01`,
    `/v1/customers/${encodeURIComponent('bad id!')}/total_events`,
    `/v1/customers/${CUSTOMER}/total_events?since=2021-03-01`,
    '/v1/customers?limit=5000',
    '/v1/customers?next_page=abc',
  ])('describes the 400 for %s', async (path) => {
    const response = await fetch(`${base}${path}`);

    expect(response.status).toBe(400);
    await expectDocumented(response);
  });

  it('describes the 404 of a customer without events when a bound must default', async () => {
    const response = await fetch(`${base}/v1/customers/nobody/event_counts`);

    expect(response.status).toBe(404);
    expect(await expectDocumented(response)).toMatchObject({ error: { code: 'customer_not_found' } });
  });

  it('answers an undocumented path with a JSON 404 not_found', async () => {
    const response = await fetch(`${base}/v1/nothing`);

    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it.each(TEMPLATES.map(([, template]) => template))('describes the 405 for POST %s', async (template) => {
    const response = await fetch(`${base}${template.replace('{customer_id}', CUSTOMER)}`, { method: 'POST' });

    expect(response.status).toBe(405);
    // OpenAPI lists the 405 under the GET operation: POST is not an operation of these paths.
    await expectDocumented(response);
  });

  it.each(['500', '503'])(
    'describes the %s when the store fails, with its details in the log only',
    async (status) => {
      const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
      const paths = [
        `/v1/customers/${CUSTOMER}/event_counts`,
        `/v1/customers/${CUSTOMER}/total_events`,
        '/v1/customers',
      ];
      for (const path of paths) {
        const response = await fetch(`${failing[status]?.base}${path}`);

        expect(String(response.status)).toBe(status);
        const body = (await expectDocumented(response)) as { error: { request_id: string; message: string } };
        expect(JSON.stringify(body)).not.toContain('simulated');
        expect(logged.mock.calls.flat().join('\n')).toContain(body.error.request_id);
      }
      expect(logged.mock.calls.flat().join('\n')).toContain('simulated failure');
      logged.mockRestore();
    },
  );

  it('lists no response that a real one did not match', () => {
    expect([...documented].filter((key) => !exercised.has(key))).toEqual([]);
  });
});
