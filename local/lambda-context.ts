import type { Context } from 'aws-lambda';

/** A Lambda context for running the handler outside Lambda (local server, tests, benchmarks). */
export function localLambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'event-counts-api-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:event-counts-api-local',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/event-counts-api-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
