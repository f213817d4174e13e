import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, requireEnv } from '../../core/config';
import { type CounterStore, createCounterStore } from '../../core/counter-store';

/** A store on a fresh, uniquely named table in the test run's DynamoDB Local. */
export interface TestTable {
  endpoint: string;
  tableName: string;
  store: CounterStore;
  drop(): Promise<void>;
}

/** Creates a uniquely named table; call `drop()` in afterAll. */
export async function createTestTable(prefix = 'test'): Promise<TestTable> {
  const endpoint = requireEnv('DYNAMODB_ENDPOINT');
  const client = createDynamoDbClient({ endpoint });
  const tableName = `${prefix}-${randomUUID()}`;
  const store = createCounterStore({ client, tableName });
  await store.ensureTable();
  return {
    endpoint,
    tableName,
    store,
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
