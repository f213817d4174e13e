// The AWS SDK warns once per test file (and per spawned CLI) that it will soon need Node 22. Set here,
// in the process that starts the workers, so every project and every child process inherits it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** What every project shares; each project names its folder. */
const base = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
};

/**
 * What the projects that need DynamoDB Local add: one in-memory instance for the run, and a minute
 * per test. Jest runs a project's globalSetup only when one of that project's test files is selected,
 * and a setup shared by projects once, so `jest --selectProjects unit` never starts Java.
 */
const withDynamoDbLocal = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/minute-timeout.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // Pure code and SDK calls mocked at the client: no Java, network or service; jest's 5 s timeout.
    { ...base, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    // A real in-memory DynamoDB Local on a free port, or DYNAMODB_ENDPOINT if set.
    {
      ...base,
      ...withDynamoDbLocal,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
    },
    // CDK Template assertions; a few of them also compare with and call into DynamoDB Local.
    {
      ...base,
      ...withDynamoDbLocal,
      displayName: 'infra',
      roots: ['<rootDir>/test/infra'],
    },
  ],
};
