// Jest reads `testTimeout` only from the root config, never from a project
// (https://github.com/jestjs/jest/issues/9696), so the projects that start DynamoDB Local, load data
// and spawn CLIs give each test and hook a minute here; unit tests keep jest's 5 s.
jest.setTimeout(60_000);
