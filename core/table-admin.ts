import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TableNotFoundError } from './errors';
import { FORMAT_KEY, TABLE_FORMAT } from './keys';
import { translateStoreError } from './store-errors';
import { createTableInput, formatMarkerPut, legacyDirectoryQuery, tableFormatError } from './table-format';

/** What the table's own calls need from the store (core/counter-store.ts), which spreads them in. */
export interface TableAdminContext {
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
  /** The store's sender: translates SDK errors and, when `retried`, applies the loader's retries. */
  send: <T>(call: () => Promise<T>, retried?: boolean) => Promise<T>;
}

/** The calls on the table itself: its layout check, creation and deletion. */
export function tableAdmin({ client, documentClient, tableName, send }: TableAdminContext) {
  /** The table's status, or undefined when it does not exist. */
  async function tableStatus(): Promise<string | undefined> {
    try {
      const { Table } = await send(() => client.send(new DescribeTableCommand({ TableName: tableName })));
      return Table?.TableStatus ?? 'UNKNOWN';
    } catch (error) {
      if (error instanceof TableNotFoundError) return undefined;
      throw error;
    }
  }

  return {
    /**
     * Makes sure a load may write to the table: it must be in this version's layout. A table
     * without a format marker gets one, unless it holds the first layout's directory partition.
     *
     * @throws TableFormatError for a table in another layout.
     */
    async checkFormat(): Promise<void> {
      const get = new GetCommand({ TableName: tableName, Key: FORMAT_KEY, ConsistentRead: true });
      const format = (await send(() => documentClient.send(get), true)).Item?.format;
      if (format === TABLE_FORMAT) return;
      const legacy =
        format === undefined &&
        (
          (await send(() => documentClient.send(new QueryCommand(legacyDirectoryQuery(tableName))), true))
            .Items ?? []
        ).length > 0;
      if (format !== undefined || legacy) throw tableFormatError(tableName, format);
      await send(() => documentClient.send(new PutCommand(formatMarkerPut(tableName))), true);
    },

    /** Deletes the table and everything in it (local runs replace a table of an older layout). */
    async deleteTable(): Promise<void> {
      await send(() => client.send(new DeleteTableCommand({ TableName: tableName })));
      while ((await tableStatus()) !== undefined) await pause();
    },

    /** Creates the table unless it exists, and waits until it is active. */
    async ensureTable(): Promise<'created' | 'exists'> {
      if ((await tableStatus()) !== undefined) return 'exists';
      try {
        await client.send(new CreateTableCommand(createTableInput(tableName)));
      } catch (error) {
        // Another process created it first.
        if (!(error instanceof Error && error.name === 'ResourceInUseException')) {
          throw translateStoreError(error, tableName);
        }
      }
      while ((await tableStatus()) !== 'ACTIVE') await pause();
      return 'created';
    },
  };
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 200));
