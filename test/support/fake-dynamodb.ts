import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createCounterStore } from '../../core/counter-store';
import type { RetryPolicy } from '../../core/retry';

type Item = Record<string, unknown>;
type Names = Record<string, string> | undefined;
type Values = Record<string, unknown> | undefined;

/** What the fake does to one request: fail before applying it, or apply it and lose the response. */
export type Fault = { error: Error; commit?: boolean } | undefined;

const keyOf = (key: Item) => `${String(key.pk)}\u0000${String(key.sk)}`;

/**
 * An in-memory DynamoDB table behind a mocked document client, interpreting exactly the requests
 * the store sends (core/store-requests.ts, core/write-plan.ts): key-range queries, conditional
 * updates, transactions that apply all or nothing and are cancelled with per-action reasons, and
 * client request tokens that make a repeated committed transaction a no-op. `fault` injects
 * failures per request, including responses lost after the write applied.
 */
export class FakeDynamoDb {
  readonly items = new Map<string, Item>();
  /** The items of each partition, for queries. */
  private readonly partitions = new Map<unknown, Map<string, Item>>();
  private readonly committedTokens = new Set<string>();
  /** Requests received, by command name. */
  readonly calls: { command: string; input: unknown }[] = [];
  fault: (command: string, input: unknown, attempt: number) => Fault = () => undefined;
  /** Transactions cancelled because a condition failed. */
  cancelled = 0;

  constructor(readonly honourTokens = true) {}

  private attempt(command: string, input: unknown): Fault {
    this.calls.push({ command, input });
    const fault = this.fault(command, input, this.calls.filter((call) => call.input === input).length);
    if (fault !== undefined && fault.commit !== true) throw fault.error;
    return fault;
  }

  query(input: QueryCommandInput): object {
    this.attempt('Query', input);
    const values = input.ExpressionAttributeValues ?? {};
    const condition = input.KeyConditionExpression ?? '';
    const matches = [...(this.partitions.get(values[':pk'])?.values() ?? [])]
      .filter((item) => {
        const sk = String(item.sk);
        if (condition.includes('BETWEEN'))
          return sk >= String(values[':first']) && sk <= String(values[':last']);
        if (condition.includes('>')) return sk > String(values[':after']);
        return true;
      })
      .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1));
    const limited = input.Limit === undefined ? matches : matches.slice(0, input.Limit);
    return { Items: limited.map((item) => ({ ...item })), Count: limited.length };
  }

  get(input: GetCommandInput): object {
    this.attempt('Get', input);
    const item = this.items.get(keyOf(input.Key as Item));
    return { Item: item === undefined ? undefined : { ...item } };
  }

  put(input: PutCommandInput): object {
    const fault = this.attempt('Put', input);
    this.store({ ...(input.Item as Item) });
    if (fault !== undefined) throw fault.error;
    return {};
  }

  update(input: UpdateCommandInput): object {
    const fault = this.attempt('Update', input);
    if (
      !this.conditionHolds(
        input.Key as Item,
        input.ConditionExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      )
    ) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    }
    this.applyUpdate(input);
    if (fault !== undefined) throw fault.error;
    return {};
  }

  transact(input: TransactWriteCommandInput): object {
    const fault = this.attempt('TransactWrite', input);
    const token = input.ClientRequestToken;
    if (this.honourTokens && token !== undefined && this.committedTokens.has(token)) {
      if (fault !== undefined) throw fault.error;
      return {};
    }
    const actions = input.TransactItems ?? [];
    const keys = actions.map((action) => keyOf((action.Put?.Item ?? action.Update?.Key) as Item));
    if (new Set(keys).size !== keys.length) throw new Error('a transaction touches one item twice');
    const codes = actions.map((action) => {
      const write = action.Update ?? action.Put;
      if (write === undefined) return 'None';
      const key = (action.Update?.Key ?? action.Put?.Item) as Item;
      const holds = this.conditionHolds(
        { pk: key.pk, sk: key.sk },
        write.ConditionExpression,
        write.ExpressionAttributeNames,
        write.ExpressionAttributeValues,
      );
      return holds ? 'None' : 'ConditionalCheckFailed';
    });
    if (codes.some((code) => code !== 'None')) {
      this.cancelled++;
      throw new TransactionCanceledException({
        message: `Transaction cancelled [${codes.join(', ')}]`,
        $metadata: { httpStatusCode: 400 },
        CancellationReasons: codes.map((Code) => ({ Code })),
      });
    }
    for (const action of actions) {
      if (action.Put !== undefined) this.store({ ...(action.Put.Item as Item) });
      if (action.Update !== undefined) this.applyUpdate(action.Update as UpdateCommandInput);
    }
    if (token !== undefined) this.committedTokens.add(token);
    if (fault !== undefined) throw fault.error;
    return { ConsumedCapacity: [{ TableName: 't', CapacityUnits: actions.length * 2 }] };
  }

  private store(item: Item): void {
    this.items.set(keyOf(item), item);
    let partition = this.partitions.get(item.pk);
    if (partition === undefined) {
      partition = new Map();
      this.partitions.set(item.pk, partition);
    }
    partition.set(keyOf(item), item);
  }

  private conditionHolds(key: Item, condition: string | undefined, names: Names, values: Values): boolean {
    if (condition === undefined) return true;
    const item = this.items.get(keyOf(key));
    const attribute = (alias: string) => names?.[alias] ?? alias;
    return condition.split(' OR ').some((part) => {
      const exists = /^attribute_not_exists\((#\w+)\)$/.exec(part.trim());
      if (exists !== null) return item === undefined || item[attribute(exists[1] as string)] === undefined;
      const compare = /^(#\w+) ([=<>]) (:\w+)$/.exec(part.trim());
      if (compare === null) throw new Error(`the fake cannot evaluate ${part}`);
      const [, alias, operator, value] = compare as unknown as [string, string, string, string];
      const stored = item?.[attribute(alias)];
      if (stored === undefined) return false;
      const wanted = values?.[value] as number;
      return operator === '='
        ? stored === wanted
        : operator === '<'
          ? (stored as number) < wanted
          : (stored as number) > wanted;
    });
  }

  private applyUpdate(update: UpdateCommandInput): void {
    const key = update.Key as Item;
    const item: Item = { ...(this.items.get(keyOf(key)) ?? { pk: key.pk, sk: key.sk }) };
    const names = update.ExpressionAttributeNames ?? {};
    const values = update.ExpressionAttributeValues ?? {};
    const expression = update.UpdateExpression ?? '';
    for (const [, alias, value] of expression.matchAll(/ADD (#\w+) (:\w+)/g)) {
      const attribute = names[alias as string] as string;
      item[attribute] = ((item[attribute] as number | undefined) ?? 0) + (values[value as string] as number);
    }
    for (const [, alias, value] of expression.matchAll(/(?:SET |, )(#\w+) = (:\w+)/g)) {
      item[names[alias as string] as string] = values[value as string];
    }
    for (const [, alias, value] of expression.matchAll(/(#\w+) = if_not_exists\(#\w+, (:\w+)\)/g)) {
      const attribute = names[alias as string] as string;
      item[attribute] ??= values[value as string];
    }
    this.store(item);
  }

  /** Events counted per `customer|yyyy-mm-ddThh`, from the counter items. */
  counters(): Map<string, number> {
    const counters = new Map<string, number>();
    for (const item of this.items.values()) {
      const sk = String(item.sk);
      if (!sk.startsWith('H#')) continue;
      counters.set(`${String(item.pk).slice(2)}|${sk.slice(2)}`, item.count as number);
    }
    return counters;
  }
}

/** Points the mocked document client at `fake`. */
export function serveFake(stub: ReturnType<typeof mockDocumentClient>, fake: FakeDynamoDb): void {
  stub.reset();
  stub.on(QueryCommand).callsFake((input: QueryCommandInput) => fake.query(input));
  stub.on(GetCommand).callsFake((input: GetCommandInput) => fake.get(input));
  stub.on(PutCommand).callsFake((input: PutCommandInput) => fake.put(input));
  stub.on(UpdateCommand).callsFake((input: UpdateCommandInput) => fake.update(input));
  stub.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => fake.transact(input));
}

/** A mocked document client; call `serveFake` in beforeEach and `restore` in afterAll. */
export function mockDocumentClient() {
  return mockClient(DynamoDBDocumentClient);
}

/** A store over the mocked client with a retry policy that waits on a fake clock. */
export function fakeStore(policy: RetryPolicy, onWriteCapacity?: (units: number) => void) {
  return createCounterStore({
    client: new DynamoDBClient({ region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }),
    tableName: 'events',
    retryPolicy: policy,
    onWriteCapacity,
  });
}
