import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE } from '../lambdas/shared/contract/table';
import type { DynamoCall } from './dynamo-instrument';
import { itemSize, readUnits, writeUnits } from './item-size';

interface KeyRef {
  readonly pk: string;
  readonly sk: string;
}

/** A key attribute as the store passes it (document form) or marshalled. */
const text = (value: unknown): string =>
  typeof value === 'string' ? value : String((value as { S?: unknown } | undefined)?.S ?? '');

const keyOf = (source: unknown): KeyRef => {
  const record = (source ?? {}) as Record<string, unknown>;
  return { pk: text(record.pk), sk: text(record.sk) };
};

type Operation = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';

interface ItemWrite {
  readonly op: Operation;
  readonly key: KeyRef;
}

/** The items a write command touches, and whether it is transactional. */
const writesOf = (
  command: string,
  input: Record<string, unknown>,
): { readonly transactional: boolean; readonly items: ItemWrite[] } | undefined => {
  if (command === 'TransactWriteItemsCommand') {
    const items = (input.TransactItems as Record<string, Record<string, unknown>>[]).map((entry) => {
      const [op, body] = Object.entries(entry)[0] ?? [];
      return { op: op as Operation, key: keyOf(op === 'Put' ? body?.Item : body?.Key) };
    });
    return { transactional: true, items };
  }
  if (command === 'PutItemCommand')
    return { transactional: false, items: [{ op: 'Put', key: keyOf(input.Item) }] };
  if (command === 'UpdateItemCommand' || command === 'DeleteItemCommand') {
    const op: Operation = command === 'UpdateItemCommand' ? 'Update' : 'Delete';
    return { transactional: false, items: [{ op, key: keyOf(input.Key) }] };
  }
  return undefined;
};

/** A document-form value as DynamoDB stores it, to size what a read returned. */
const toAttributeValue = (value: unknown): AttributeValue | undefined => {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value instanceof Uint8Array) return { B: value };
  if (value instanceof Set) {
    const members = [...value];
    return typeof members[0] === 'number' ? { NS: members.map(String) } : { SS: members.map(String) };
  }
  if (Array.isArray(value)) return { L: value.map((element) => toAttributeValue(element) ?? { NULL: true }) };
  const map: Record<string, AttributeValue> = {};
  for (const [name, element] of Object.entries(value as Record<string, unknown>)) {
    const converted = toAttributeValue(element);
    if (converted) map[name] = converted;
  }
  return { M: map };
};

const documentSize = (item: unknown): number => {
  const converted = toAttributeValue(item);
  return converted?.M ? itemSize(converted.M) : 0;
};

type Item = Record<string, AttributeValue> | undefined;

const INDEXES = Object.values(TABLE.indexes).map((index) => ({
  name: index.name,
  keys: [index.partitionKey.name, index.sortKey.name],
  // An index entry holds the table's keys, the index's keys and the projected attributes (INCLUDE).
  projected: [
    TABLE.partitionKey.name,
    TABLE.sortKey.name,
    index.partitionKey.name,
    index.sortKey.name,
    ...index.projectedAttributes,
  ],
}));

const projection = (item: Item, attributes: readonly string[]): Item =>
  item
    ? Object.fromEntries(
        attributes
          .filter((name) => item[name] !== undefined)
          .map((name) => [name, item[name] as AttributeValue]),
      )
    : undefined;

const indexKey = (item: Item, keys: readonly string[]): string | undefined =>
  item && keys.every((key) => item[key] !== undefined)
    ? keys.map((key) => JSON.stringify(item[key])).join('|')
    : undefined;

/**
 * Index writes one item write causes (an index entry is the projected part of the item): a put when the item
 * enters the index, a delete when it leaves, both when its index key changes, one update when a projected
 * attribute changes, nothing otherwise. Write units at the standard rate (1 per KB of the entry).
 */
const indexUnits = (before: Item, after: Item, size: (item: Item) => number): number => {
  let units = 0;
  for (const index of INDEXES) {
    const was = indexKey(before, index.keys);
    const is = indexKey(after, index.keys);
    const entryBefore = projection(before, index.projected);
    const entryAfter = projection(after, index.projected);
    if (was === undefined && is === undefined) continue;
    if (was === undefined) units += writeUnits(size(entryAfter));
    else if (is === undefined) units += writeUnits(size(entryBefore));
    else if (was !== is) units += writeUnits(size(entryBefore)) + writeUnits(size(entryAfter));
    else if (JSON.stringify(entryBefore) !== JSON.stringify(entryAfter)) {
      units += writeUnits(Math.max(size(entryBefore), size(entryAfter)));
    }
  }
  return units;
};

/**
 * How much bigger an order is on AWS than in local mode: its sealed customer details carry KMS's wrapped data key
 * (a CiphertextBlob of about 184 bytes for a 256-bit key, where the local key manager's is 60) and the key's ARN
 * (where local mode writes `local`), both in the item.
 */
export const awsOrderExtraBytes = (piiKeyArn: string): number => {
  const base64 = (bytes: number) => 4 * Math.ceil(bytes / 3);
  return base64(184) - base64(60) + piiKeyArn.length - 'local'.length;
};

export interface RuleEstimate {
  readonly command: string;
  /** Table write units by the documented rules (2 per KB per item in a transaction, else 1). */
  readonly tableWrite: number;
  /** Index write units at the standard rate. */
  readonly indexWrite: number;
  /** The same with orders as big as on AWS (see awsOrderExtraBytes). */
  readonly tableWriteAws: number;
  readonly indexWriteAws: number;
  readonly read: number;
  /** Item sizes involved (bytes, the larger of before and after), for the report. */
  readonly items: readonly { readonly key: string; readonly op: string; readonly bytes: number }[];
}

/**
 * Wraps every command of the instrumented client: before and after each write, reads the touched items with a
 * separate plain client (its reads are not counted), and computes what the documented rules say the write costs
 * from the items' real sizes; reads are sized from what they returned. Used to check DynamoDB Local's figures.
 */
export const sizeRuleChecker = (raw: DynamoDBClient, tableName: string, orderExtraBytes: number) => {
  const localSize = (item: Item) => itemSize(item);
  const awsSize = (item: Item) => itemSize(item) + (item?.customerEncrypted ? orderExtraBytes : 0);
  const estimates: RuleEstimate[] = [];
  const read = async (key: KeyRef): Promise<Item> =>
    (
      await raw.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: key.pk }, sk: { S: key.sk } },
          ConsistentRead: true,
        }),
      )
    ).Item;

  const around = async (command: string, input: Record<string, unknown>, send: () => Promise<unknown>) => {
    const writes = writesOf(command, input);
    if (writes) {
      const before = await Promise.all(writes.items.map((item) => read(item.key)));
      const result = await send();
      const after = await Promise.all(writes.items.map((item) => read(item.key)));
      const units = (size: (item: Item) => number) => {
        let table = 0;
        let index = 0;
        writes.items.forEach((item, i) => {
          if (item.op === 'ConditionCheck') return;
          const bytes = item.op === 'Delete' ? size(before[i]) : Math.max(size(before[i]), size(after[i]));
          table += (writes.transactional ? 2 : 1) * writeUnits(bytes);
          index += indexUnits(before[i], after[i], size);
        });
        return { table, index };
      };
      const local = units(localSize);
      const aws = units(awsSize);
      const items = writes.items.map((item, i) => ({
        key: `${item.key.pk.split('#')[0]}#…/${item.key.sk.split('#')[0]}`,
        op: item.op,
        bytes: Math.max(itemSize(before[i]), itemSize(after[i])),
      }));
      estimates.push({
        command,
        tableWrite: local.table,
        indexWrite: local.index,
        tableWriteAws: aws.table,
        indexWriteAws: aws.index,
        read: 0,
        items,
      });
      return result;
    }
    const result = await send();
    const output = (result as { output?: Record<string, unknown> }).output ?? {};
    if (command === 'GetItemCommand' || command === 'QueryCommand') {
      const returned =
        command === 'GetItemCommand' ? [output.Item].filter(Boolean) : ((output.Items as unknown[]) ?? []);
      const bytes = returned.reduce<number>((total, item) => total + documentSize(item), 0);
      const consistent = input.ConsistentRead === true && input.IndexName === undefined;
      estimates.push({
        command,
        tableWrite: 0,
        indexWrite: 0,
        tableWriteAws: 0,
        indexWriteAws: 0,
        read: readUnits(bytes, consistent),
        items: [],
      });
    }
    return result;
  };
  return { around, estimates };
};

export type Phase = 'create' | 'ipn' | 'status';

export interface PhaseUsage {
  readonly phase: Phase;
  readonly read: number;
  readonly write: number;
  /** From ReturnConsumedCapacity=INDEXES: the table's and the indexes' shares. */
  readonly tableWrite?: number;
  readonly indexWrite?: number;
  readonly commands: readonly string[];
  /** Each command's units as DynamoDB Local reported them (table and index shares when INDEXES was asked). */
  readonly perCommand: readonly {
    readonly command: string;
    readonly units: number;
    readonly table?: number;
    readonly index?: number;
  }[];
  /** Bytes the handler wrote to stdout (Powertools logs and EMF metrics): CloudWatch Logs ingestion. */
  readonly logBytes: number;
}

export const usageOf = (phase: Phase, calls: readonly DynamoCall[], logBytes: number): PhaseUsage => {
  let read = 0;
  let write = 0;
  let tableWrite = 0;
  let indexWrite = 0;
  let hasBreakdown = false;
  for (const call of calls) {
    for (const entry of call.consumed) {
      const units = entry.CapacityUnits ?? 0;
      if (call.kind === 'read') read += units;
      else write += units;
      if (call.kind === 'write' && entry.Table) {
        hasBreakdown = true;
        tableWrite += entry.Table.CapacityUnits ?? 0;
        for (const index of Object.values(entry.GlobalSecondaryIndexes ?? {}))
          indexWrite += index.CapacityUnits ?? 0;
      }
    }
  }
  return {
    phase,
    read,
    write,
    ...(hasBreakdown ? { tableWrite, indexWrite } : {}),
    commands: calls.map((call) => call.command.replace(/Command$/, '')),
    perCommand: calls.map((call) => {
      const units = call.consumed.reduce((total, entry) => total + (entry.CapacityUnits ?? 0), 0);
      const table = call.consumed.reduce((total, entry) => total + (entry.Table?.CapacityUnits ?? 0), 0);
      const index = call.consumed.reduce(
        (total, entry) =>
          total +
          Object.values(entry.GlobalSecondaryIndexes ?? {}).reduce(
            (sum, i) => sum + (i.CapacityUnits ?? 0),
            0,
          ),
        0,
      );
      return {
        command: call.command.replace(/Command$/, ''),
        units,
        ...(call.consumed.some((entry) => entry.Table) ? { table, index } : {}),
      };
    }),
    logBytes,
  };
};
