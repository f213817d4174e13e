import { createServer, type Server, type Socket } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { API_CLIENT_SETTINGS, createDynamoDbClient } from '../../core/config';

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a hung DynamoDB. */
async function silentServer(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port of 127.0.0.1 where nothing listens: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('createDynamoDbClient', () => {
  it('aborts a request that gets no answer within requestTimeoutMs, instead of only warning', async () => {
    const silent = await silentServer();
    const client = createDynamoDbClient({ endpoint: silent.endpoint, maxAttempts: 1, requestTimeoutMs: 300 });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const started = performance.now();
    try {
      await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });

      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      warn.mockRestore();
      client.destroy();
      await silent.close();
    }
  });

  it('gives each of the API settings their attempts, then fails within their sum', async () => {
    const silent = await silentServer();
    const client = createDynamoDbClient({
      endpoint: silent.endpoint,
      ...API_CLIENT_SETTINGS,
      requestTimeoutMs: 200,
    });
    const started = performance.now();
    try {
      await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'TimeoutError' });

      const elapsed = performance.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(3 * 200 - 50);
      expect(elapsed).toBeLessThan(3_000);
    } finally {
      client.destroy();
      await silent.close();
    }
  });

  it('fails at once, after its attempts, when nothing listens at the endpoint', async () => {
    // (The store's translation into StoreUnavailableError is checked through the bundled handler in
    // test/integration/bundled-handler.test.ts: in jest, Node's own errors are not `instanceof
    // Error` of the test's realm.)
    const client = createDynamoDbClient({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      ...API_CLIENT_SETTINGS,
    });
    const started = performance.now();
    try {
      await expect(client.send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED/);

      expect(performance.now() - started).toBeLessThan(2_000);
    } finally {
      client.destroy();
    }
  });
});
