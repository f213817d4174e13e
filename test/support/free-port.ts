import { createServer } from 'node:net';

/**
 * A TCP port of 127.0.0.1 that is free now: the system picks it, so parallel test files and other
 * programs on the machine never collide on a fixed number. (Listen on port 0 instead wherever the
 * code under test can report the port it got.)
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
