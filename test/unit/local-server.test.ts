import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { toApiGatewayEvent } from '../../local/server';

/** A request as Node's HTTP server hands it over, without a network connection. */
function incoming(url: string, method = 'GET', headers: IncomingMessage['headers'] = {}): IncomingMessage {
  const request = new IncomingMessage(new Socket());
  request.url = url;
  request.method = method;
  request.httpVersion = '1.1';
  request.headers = headers;
  return request;
}

describe('toApiGatewayEvent', () => {
  it('builds a payload-2.0 event with the request id', () => {
    const event = toApiGatewayEvent(incoming('/v1/customers/acme/event_counts'), 'req-1');

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: '$default',
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1', routeKey: '$default', stage: '$default' },
    });
  });

  it('keeps the raw path, percent-encoding included, as API Gateway does', () => {
    const event = toApiGatewayEvent(incoming('/v1/customers/acme%40example.com/event_counts?x=1'), 'req-1');

    expect(event.rawPath).toBe('/v1/customers/acme%40example.com/event_counts');
    expect(event.requestContext.http.path).toBe(event.rawPath);
  });

  it('keeps a path that starts with two slashes instead of reading its first segment as a host', () => {
    const event = toApiGatewayEvent(incoming('//evil.example/v1/customers/acme/event_counts'), 'req-1');

    expect(event.rawPath).toBe('//evil.example/v1/customers/acme/event_counts');
  });

  it('passes the raw query string without the question mark', () => {
    const event = toApiGatewayEvent(incoming('/v1/x?starting_at=2021-03-01T04%3A00%3A00Z&a=1'), 'req-1');

    expect(event.rawQueryString).toBe('starting_at=2021-03-01T04%3A00%3A00Z&a=1');
  });

  it('decodes query parameter values', () => {
    const event = toApiGatewayEvent(
      incoming('/v1/x?starting_at=2021-03-01T05%3A00%3A00%2B01%3A00&ending_before=2021-03-01%2006:00:00'),
      'req-1',
    );

    expect(event.queryStringParameters).toEqual({
      starting_at: '2021-03-01T05:00:00+01:00',
      ending_before: '2021-03-01 06:00:00',
    });
  });

  it('reads a plus sign in the query as a space, as API Gateway does', () => {
    const event = toApiGatewayEvent(incoming('/v1/x?starting_at=2021-03-01T05:00:00+01:00'), 'req-1');

    expect(event.queryStringParameters?.starting_at).toBe('2021-03-01T05:00:00 01:00');
  });

  it('joins the values of a repeated parameter with commas, in order', () => {
    const event = toApiGatewayEvent(
      incoming('/v1/x?window_size=day&a=1&window_size=hour&window_size=none'),
      'req-1',
    );

    expect(event.queryStringParameters).toEqual({ window_size: 'day,hour,none', a: '1' });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'keeps a parameter named %s as a plain parameter',
    (name) => {
      const event = toApiGatewayEvent(incoming(`/v1/x?${name}=a&${name}=b`), 'req-1');

      expect(Object.keys(event.queryStringParameters ?? {})).toEqual([name]);
      expect(Object.getOwnPropertyDescriptor(event.queryStringParameters, name)?.value).toBe('a,b');
    },
  );

  it('gives no query parameters when there is no query string', () => {
    expect(toApiGatewayEvent(incoming('/v1/x'), 'req-1').queryStringParameters).toBeUndefined();
    expect(toApiGatewayEvent(incoming('/v1/x?'), 'req-1').queryStringParameters).toBeUndefined();
  });

  it.each(['GET', 'POST', 'DELETE', 'HEAD'])('passes the method %s', (method) => {
    expect(toApiGatewayEvent(incoming('/v1/x', method), 'req-1').requestContext.http.method).toBe(method);
  });

  it('passes the headers, joining repeated values with commas, and fills the request context from them', () => {
    const event = toApiGatewayEvent(
      incoming('/v1/x', 'GET', {
        host: 'localhost:3100',
        'user-agent': 'curl/8.5.0',
        'set-cookie': ['a=1', 'b=2'],
      }),
      'req-1',
    );

    expect(event.headers).toEqual({
      host: 'localhost:3100',
      'user-agent': 'curl/8.5.0',
      'set-cookie': 'a=1,b=2',
    });
    expect(event.requestContext.domainName).toBe('localhost:3100');
    expect(event.requestContext.http.userAgent).toBe('curl/8.5.0');
    expect(event.requestContext.http.protocol).toBe('HTTP/1.1');
  });
});

describe('createLocalServer', () => {
  it('answers a request target that is not a URL with a JSON 400', async () => {
    const { createLocalServer } = await import('../../local/server');
    const { request } = await import('node:http');
    const server = createLocalServer(async () => ({ statusCode: 200, body: '{}' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const response = await new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: 'http://[::1/x' }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] ?? '' }),
        );
      });
      req.on('error', reject);
      req.end();
    });
    await new Promise((resolve) => server.close(resolve));
    expect(response.status).toBe(400);
    expect(response.type).toMatch(/^application\/json/);
    expect(JSON.parse(response.body).error.code).toBe('bad_request');
  });
});
