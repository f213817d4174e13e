import type { Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isPortAnswering, PortInUseError, startDynamoDbLocal } from '../../local/dynamodb-local';
import { createLocalServer, DEFAULT_HOST, listen, readHost, splitRequestTarget } from '../../local/server';

/** Sends raw bytes to the server and returns everything it answers until it closes the connection. */
function rawExchange(port: number, request: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => {
      socket.write(typeof request === 'string' ? Buffer.from(request, 'latin1') : request);
    });
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    // A keep-alive answer leaves the connection open: end it once the answer had time to come.
    setTimeout(() => socket.end(), 500).unref();
  });
}

function parseAnswer(answer: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = answer.split('\r\n\r\n', 2);
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: dechunk(headers, body) };
}

/** The body of a chunked answer without its chunk sizes. */
function dechunk(headers: Record<string, string>, body: string): string {
  if (headers['transfer-encoding'] !== 'chunked') return body;
  let text = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!(size > 0)) return text;
    text += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

describe('the local server', () => {
  let server: Server;
  let port: number;
  const seen: APIGatewayProxyEventV2[] = [];

  beforeAll(async () => {
    server = createLocalServer(async (event) => {
      seen.push(event);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    });
    await listen(server, 0);
    port = (server.address() as { port: number }).port;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('listens on 127.0.0.1 only by default', () => {
    expect(DEFAULT_HOST).toBe('127.0.0.1');
    expect(server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it.each([
    ['a dot-dot segment', '/v1/customers/x/../y/event_counts'],
    ['a dot segment', '/v1/customers/./x/event_counts'],
    ['encoded dots', '/v1/customers/x/%2e%2e/y/event_counts'],
  ])('passes %s to the handler as sent, never resolved', async (_case, path) => {
    seen.length = 0;

    const answer = parseAnswer(await rawExchange(port, `GET ${path}?a=1 HTTP/1.1\r\nHost: x\r\n\r\n`));

    expect(answer.status).toBe(200);
    expect(seen[0]?.rawPath).toBe(path);
    expect(seen[0]?.rawQueryString).toBe('a=1');
  });

  it.each([
    [
      'headers over 16 KB',
      `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    [
      'a method the HTTP parser does not know',
      'FROB / HTTP/1.1\r\nHost: x\r\n\r\n',
      405,
      'method_not_allowed',
    ],
    [
      'a raw non-ASCII byte in the target',
      Buffer.concat([
        Buffer.from('GET /v1/customers/caf'),
        Buffer.from([0xe9]),
        Buffer.from(' HTTP/1.1\r\n\r\n'),
      ]),
      400,
      'bad_request',
    ],
    ['a raw space in the target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    ['a target that is not a URL', 'GET http://[::1/x HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
    ['an asterisk target', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
  ])('answers %s with a JSON error body', async (_case, request, status, code) => {
    const answer = parseAnswer(await rawExchange(port, request));

    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code, message: expect.any(String) } });
  });
});

describe('splitRequestTarget', () => {
  it.each([
    ['/v1/x?a=1&b=2', '/v1/x', 'a=1&b=2'],
    ['/v1/x', '/v1/x', ''],
    ['/v1/x?', '/v1/x', ''],
    ['//evil.example/v1/x', '//evil.example/v1/x', ''],
    ['/a/../b?c', '/a/../b', 'c'],
    ['http://localhost:3000/a/../b?c=1', '/a/../b', 'c=1'],
    ['http://localhost:3000', '/', ''],
  ])('reads %s as path %s and query %s', (target, rawPath, rawQueryString) => {
    expect(splitRequestTarget(target)).toEqual({ rawPath, rawQueryString });
  });
});

describe('readHost', () => {
  const saved = process.env.HOST;
  afterEach(() => {
    if (saved === undefined) delete process.env.HOST;
    else process.env.HOST = saved;
  });

  it('is 127.0.0.1 when HOST is not set', () => {
    delete process.env.HOST;

    expect(readHost()).toBe('127.0.0.1');
  });

  it.each(['0.0.0.0', '::', '192.168.1.5', 'localhost'])('takes HOST=%s', (host) => {
    process.env.HOST = host;

    expect(readHost()).toBe(host);
  });

  it('refuses a HOST that is not an address, naming it', () => {
    process.env.HOST = 'every interface';

    expect(() => readHost()).toThrow(/HOST must be an IP address/);
  });
});

describe('startDynamoDbLocal on a port that already answers', () => {
  it('refuses to start (it would serve the other instance), before looking for Java', async () => {
    const other = createTcpServer((socket) => socket.end());
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const { port } = other.address() as { port: number };
    try {
      expect(await isPortAnswering(port)).toBe(true);

      await expect(startDynamoDbLocal({ port })).rejects.toThrow(PortInUseError);
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(
        new RegExp(`port ${port} already answers.*DYNAMODB_PORT`),
      );
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('finds a closed port free', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise((resolve) => probe.close(resolve));

    expect(await isPortAnswering(port)).toBe(false);
  });
});
