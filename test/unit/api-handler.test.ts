import { execFile } from 'node:child_process';

const TSX = 'node_modules/.bin/tsx';

/** Loads lambda/api-handler.ts in a process of its own, as a Lambda container does, with `env`. */
function importEntry(
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = "console.log(typeof require('./lambda/api-handler.ts').handler)";
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['-e', script],
      { env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
  });
}

describe('lambda/api-handler (the Lambda entry)', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
  ])(
    'fails at import with a message naming TABLE_NAME when it is %s',
    async (_case, tableName) => {
      const { code, stderr } = await importEntry({ TABLE_NAME: tableName, AWS_REGION: 'eu-west-1' });

      expect(code).not.toBe(0);
      expect(stderr).toMatch(/TABLE_NAME is required/);
    },
    20_000,
  );

  it('exports the handler function the stack names when TABLE_NAME is set', async () => {
    const run = await importEntry({ TABLE_NAME: 'event-counts', AWS_REGION: 'eu-west-1' });

    expect(run).toEqual({ code: 0, stdout: 'function\n', stderr: '' });
  }, 20_000);
});
