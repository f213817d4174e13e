import { App } from 'aws-cdk-lib';
import { EventCountsStack } from '../lib/event-counts-stack';

// No `env`: the stack is environment-agnostic, so `cdk synth` needs no AWS account or network,
// and `cdk deploy` targets the account and region of the caller's credentials.
const app = new App();
new EventCountsStack(app, 'EventCounts', {
  description: 'event-counts: per-customer hourly event counts (DynamoDB, Lambda, HTTP API)',
});
