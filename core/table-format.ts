import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { PutCommandInput, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { TableFormatError } from './errors';
import { FORMAT_KEY, LEGACY_DIRECTORY_PK, PK, SK, TABLE_FORMAT } from './keys';

/*
 * The table itself, as pure requests: how it is created, how it records its layout, and how a
 * table of the first layout is recognised and refused. The I/O module (core/counter-store.ts) sends them.
 */

/** The table format marker of this version. */
export function formatMarkerPut(tableName: string): PutCommandInput {
  return { TableName: tableName, Item: { ...FORMAT_KEY, format: TABLE_FORMAT } };
}

/** Why a load may not write to a table of another layout (`format` absent: the first layout). */
export function tableFormatError(tableName: string, format: unknown): TableFormatError {
  return new TableFormatError(
    tableName,
    format === undefined
      ? `table ${tableName} was written by an earlier version (one load id per file, no per-event ` +
          'deduplication data), so events loaded into it now could be counted twice; load your files ' +
          'into a new table (--table NAME) and point the API at that table'
      : `table ${tableName} has layout ${String(format)}; this version reads and writes layout ${TABLE_FORMAT}, ` +
          'and mixing them could count events twice; load your files into a new table (--table NAME)',
  );
}

/** One item of the first layout's directory partition, if the table has any. */
export function legacyDirectoryQuery(tableName: string): QueryCommandInput {
  return {
    TableName: tableName,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': PK },
    ExpressionAttributeValues: { ':pk': LEGACY_DIRECTORY_PK },
    Limit: 1,
  };
}

/** The table: on-demand capacity, string keys `pk` and `sk`. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: PK, AttributeType: 'S' },
      { AttributeName: SK, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: PK, KeyType: 'HASH' },
      { AttributeName: SK, KeyType: 'RANGE' },
    ],
  };
}
