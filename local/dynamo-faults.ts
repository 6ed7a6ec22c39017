/**
 * DynamoDB's failures under load, injected into a DynamoDB client: transaction conflicts, throttling and lost
 * answers. DynamoDB Local runs transactions one at a time and never throttles, so without this nothing local
 * ever sees them.
 *
 * The injector sits at the innermost position of the client's middleware stack, below the retry and deserializer
 * middleware, and answers in DynamoDB's own wire format (HTTP 400, `__type`, `CancellationReasons`...). So the
 * SDK's deserializer builds its real exception classes and its retry strategy treats each failure as it treats
 * DynamoDB's: throttling retried with its backoff, conflicts and cancellations handed to the caller.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import type {
  DeserializeHandlerArguments,
  DeserializeHandlerOutput,
  DeserializeMiddleware,
  MiddlewareStack,
} from '@smithy/types';
import * as z from 'zod';

export type InjectedError =
  /** Cancellation reason of a TransactWriteItems (TransactionCanceledException) held up by another transaction. */
  | 'TransactionConflict'
  /** Cancellation reason of a TransactWriteItems throttled on one of its items (TransactionCanceledException). */
  | 'ThrottlingError'
  /** A single-item write to an item an ongoing transaction holds. */
  | 'TransactionConflictException'
  | 'ThrottlingException'
  | 'ProvisionedThroughputExceededException'
  /** The request reaches DynamoDB and is applied, then the connection drops before the answer arrives. */
  | 'AnswerLost';

export interface FaultRule {
  /**
   * DynamoDB operation(s) as in the X-Amz-Target header without prefix: 'TransactWriteItems', 'UpdateItem',
   * 'PutItem', 'DeleteItem', 'GetItem', 'Query', 'BatchGetItem' ... By default the write operations on which
   * DynamoDB can send this error: TransactWriteItems for the cancellation reasons ('TransactionConflict',
   * 'ThrottlingError'), PutItem/UpdateItem/DeleteItem for 'TransactionConflictException', every write otherwise.
   */
  readonly operation?: string | readonly string[];
  /** Only calls touching an item whose partition key (attribute `pk`, a string) matches: a prefix string or a RegExp. */
  readonly pk?: string | RegExp;
  readonly error: InjectedError;
  /** Inject on the next `times` matching calls (default 1), or ... */
  readonly times?: number;
  /** ... with this probability on every matching call (at most `times` times if given), from a seeded PRNG. */
  readonly probability?: number;
}

export interface InjectionRecord {
  readonly operation: string;
  readonly error: InjectedError;
  /** Partition keys of the items the request touched. */
  readonly pks: readonly string[];
}

export interface DynamoFaults {
  /** Rules accumulate; the first one that fires decides a call. */
  inject(rule: FaultRule): void;
  /** Removes the rules (not the log, nor the emulation options). */
  clear(): void;
  /** Every injection so far, in order, the emulated ones included. */
  readonly log: readonly InjectionRecord[];
  /** Injections per error kind. */
  counts(): Readonly<Record<InjectedError, number>>;
}

export interface DynamoFaultOptions {
  /** Seed of the PRNG behind `probability` rules; the same seed and the same calls inject on the same calls. */
  readonly seed?: number;
  /**
   * Emulate real DynamoDB contention: track the item keys (pk+sk) held by in-flight TransactWriteItems; a
   * transaction overlapping another in flight is cancelled with TransactionConflict at the overlapping item's
   * index; a single-item write to a held key fails with TransactionConflictException. Keys are held from when the
   * request is sent until its answer arrives, plus `holdMs` to widen the window: the caller gets its answer only
   * when its keys are released, so a caller never conflicts with its own finished transaction.
   * Contention is seen between the calls of the clients this injector is attached to, not across processes.
   */
  readonly emulateContention?: boolean | { readonly holdMs?: number };
  /**
   * Emulate the per-partition write limit, scaled down for a laptop: more than this many item writes to the same
   * partition key within one second are refused, as DynamoDB refuses them: a PutItem/UpdateItem/DeleteItem with
   * ThrottlingException (retried by the SDK), a TransactWriteItems with TransactionCanceledException whose reason
   * is ThrottlingError at the hot item (not retried). Refused writes do not count.
   */
  readonly writesPerPartitionPerSecond?: number;
}

/** DYNAMODB_FAULTS and the like: the options and the rules, as JSON (a `pk` is a prefix there). */
export interface DynamoFaultConfig extends DynamoFaultOptions {
  readonly rules?: readonly FaultRule[];
}

const INJECTED_ERRORS = [
  'TransactionConflict',
  'ThrottlingError',
  'TransactionConflictException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'AnswerLost',
] as const satisfies readonly InjectedError[];

const faultRuleSchema = z.strictObject({
  operation: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  pk: z.string().min(1).optional(),
  error: z.enum(INJECTED_ERRORS),
  times: z.number().int().positive().optional(),
  probability: z.number().min(0).max(1).optional(),
});

/** The JSON form of a DynamoFaultConfig (DYNAMODB_FAULTS). */
export const dynamoFaultConfigSchema = z.strictObject({
  seed: z.number().int().optional(),
  emulateContention: z
    .union([z.boolean(), z.strictObject({ holdMs: z.number().int().min(0).optional() })])
    .optional(),
  writesPerPartitionPerSecond: z.number().int().positive().optional(),
  rules: z.array(faultRuleSchema).optional(),
});

const TRANSACTIONS = new Set(['TransactWriteItems', 'TransactGetItems']);
const SINGLE_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const WRITES = new Set([...SINGLE_WRITES, 'TransactWriteItems', 'BatchWriteItem']);
const CANCELLATION_REASONS = new Set<InjectedError>(['TransactionConflict', 'ThrottlingError']);

/** One item a request touches, with its place in the request (the index a cancellation reason refers to). */
interface ItemRef {
  readonly index: number;
  readonly table: string;
  readonly pk: string | undefined;
  readonly sk: string;
  readonly write: boolean;
}

interface Call {
  readonly operation: string;
  readonly items: readonly ItemRef[];
  readonly pks: readonly string[];
  readonly region: string;
}

type AttributeValue = { readonly S?: string; readonly N?: string; readonly B?: string };
type AttributeMap = Readonly<Record<string, AttributeValue | undefined>>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const attributeMap = (value: unknown): AttributeMap | undefined =>
  isRecord(value) ? (value as AttributeMap) : undefined;

const scalar = (value: AttributeValue | undefined): string | undefined => value?.S ?? value?.N ?? value?.B;

const itemRef = (index: number, table: unknown, key: unknown, write: boolean): ItemRef => {
  const map = attributeMap(key);
  return {
    index,
    table: typeof table === 'string' ? table : '',
    pk: map?.pk?.S,
    sk: scalar(map?.sk) ?? '',
    write,
  };
};

const array = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/** Query has no key: its partition key is the value `pk` is compared with in the key condition. */
const queriedPk = (body: Record<string, unknown>): string | undefined => {
  const condition = typeof body.KeyConditionExpression === 'string' ? body.KeyConditionExpression : '';
  const names = isRecord(body.ExpressionAttributeNames) ? body.ExpressionAttributeNames : {};
  const values = attributeMap(body.ExpressionAttributeValues) ?? {};
  for (const [, name, placeholder] of condition.matchAll(/(#?[\w.]+)\s*=\s*(:\w+)/g)) {
    const attribute = name?.startsWith('#') ? names[name] : name;
    if (attribute === 'pk' && placeholder) return values[placeholder]?.S;
  }
  return undefined;
};

const itemsOf = (operation: string, body: Record<string, unknown>): ItemRef[] => {
  switch (operation) {
    case 'PutItem':
      return [itemRef(0, body.TableName, body.Item, true)];
    case 'UpdateItem':
    case 'DeleteItem':
      return [itemRef(0, body.TableName, body.Key, true)];
    case 'GetItem':
      return [itemRef(0, body.TableName, body.Key, false)];
    case 'Query': {
      const pk = queriedPk(body);
      return pk === undefined ? [] : [itemRef(0, body.TableName, { pk: { S: pk } }, false)];
    }
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return array(body.TransactItems).map((entry, index) => {
        const action = isRecord(entry) ? entry : {};
        for (const [kind, field] of [
          ['Put', 'Item'],
          ['Update', 'Key'],
          ['Delete', 'Key'],
          ['ConditionCheck', 'Key'],
          ['Get', 'Key'],
        ] as const) {
          const detail = action[kind];
          if (isRecord(detail)) {
            return itemRef(
              index,
              detail.TableName,
              detail[field],
              kind !== 'ConditionCheck' && kind !== 'Get',
            );
          }
        }
        return itemRef(index, undefined, undefined, false);
      });
    case 'BatchWriteItem':
    case 'BatchGetItem': {
      const refs: ItemRef[] = [];
      for (const [table, requests] of Object.entries(isRecord(body.RequestItems) ? body.RequestItems : {})) {
        if (operation === 'BatchGetItem') {
          for (const key of array(isRecord(requests) ? requests.Keys : undefined)) {
            refs.push(itemRef(refs.length, table, key, false));
          }
          continue;
        }
        for (const request of array(requests)) {
          const put = isRecord(request) && isRecord(request.PutRequest) ? request.PutRequest.Item : undefined;
          const del =
            isRecord(request) && isRecord(request.DeleteRequest) ? request.DeleteRequest.Key : undefined;
          refs.push(itemRef(refs.length, table, put ?? del, true));
        }
      }
      return refs;
    }
    default:
      return [];
  }
};

const header = (headers: Readonly<Record<string, string | undefined>>, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
};

const utf8 = new TextDecoder();

/** The serialized request, as the HTTP handler would send it; undefined for anything that is not a DynamoDB call. */
const readCall = (request: unknown): Call | undefined => {
  if (!isRecord(request) || !isRecord(request.headers)) return undefined;
  const headers = request.headers as Record<string, string | undefined>;
  const target = header(headers, 'x-amz-target');
  if (!target?.startsWith('DynamoDB_')) return undefined;
  const operation = target.slice(target.indexOf('.') + 1);
  const raw = request.body;
  let body: Record<string, unknown> = {};
  try {
    // Decoded as bytes: the SDK's body is a Uint8Array whose string methods warn when called.
    const text = typeof raw === 'string' ? raw : raw instanceof Uint8Array ? utf8.decode(raw) : '{}';
    const parsed: unknown = JSON.parse(text || '{}');
    if (isRecord(parsed)) body = parsed;
  } catch {
    // An unreadable body is DynamoDB's to refuse; the call is still matched by its operation.
  }
  const items = itemsOf(operation, body);
  const pks = [...new Set(items.flatMap((item) => (item.pk === undefined ? [] : [item.pk])))];
  // The signing scope names the region, which DynamoDB puts in the ARNs of its throttling reasons.
  const region =
    /Credential=[^/]+\/\d+\/([^/]+)\//.exec(header(headers, 'authorization') ?? '')?.[1] ?? 'local';
  return { operation, items, pks, region };
};

/** mulberry32: small, fast and good enough to pick which calls fail, reproducibly from a seed. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const REQUEST_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** DynamoDB's request ids are 52 upper-case letters and digits. */
const requestId = (): string =>
  Array.from(randomBytes(52), (byte) => REQUEST_ID_ALPHABET[byte % REQUEST_ID_ALPHABET.length]).join('');

const ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';
const HOT_KEY_MESSAGE =
  'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your ' +
  'table or index so please try again shortly. If exceptions persist, check if you have a hot key: ' +
  'https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html';

/** An error answer exactly as DynamoDB sends it, for the SDK's own deserializer. */
const errorResponse = (body: Record<string, unknown>) => {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  return {
    statusCode: 400,
    reason: 'Bad Request',
    headers: {
      server: 'Server',
      date: new Date().toUTCString(),
      'content-type': 'application/x-amz-json-1.0',
      'content-length': String(bytes.length),
      connection: 'keep-alive',
      'x-amzn-requestid': requestId(),
      'x-amz-crc32': String(crc32(bytes)),
    },
    // A stream, as the Node HTTP handler hands over; the SDK collects it the same way.
    body: Readable.from([bytes], { objectMode: false }),
  };
};

const tableArn = (call: Call, table: string) => `arn:aws:dynamodb:${call.region}:000000000000:table/${table}`;

const cancellation = (
  call: Call,
  code: 'TransactionConflict' | 'ThrottlingError',
  indexes: ReadonlySet<number>,
) => {
  const reasons = call.items.map((item) =>
    indexes.has(item.index)
      ? {
          Code: code,
          Message: code === 'TransactionConflict' ? 'Transaction is ongoing for the item' : HOT_KEY_MESSAGE,
        }
      : { Code: 'None' },
  );
  return errorResponse({
    __type: `${ERROR_NAMESPACE}TransactionCanceledException`,
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons
      .map((reason) => reason.Code)
      .join(', ')}]`,
    CancellationReasons: reasons,
  });
};

const errorAnswer = (
  call: Call,
  error: Exclude<InjectedError, 'AnswerLost'>,
  indexes: ReadonlySet<number>,
) => {
  const write = WRITES.has(call.operation) ? 'Write' : 'Read';
  const table = call.items[0]?.table ?? '';
  switch (error) {
    case 'TransactionConflict':
    case 'ThrottlingError':
      return cancellation(call, error, indexes);
    case 'TransactionConflictException':
      return errorResponse({
        __type: `${ERROR_NAMESPACE}TransactionConflictException`,
        message: 'Transaction is ongoing for the item',
      });
    case 'ThrottlingException':
      return errorResponse({
        __type: `${ERROR_NAMESPACE}ThrottlingException`,
        message: HOT_KEY_MESSAGE,
        throttlingReasons: [
          { reason: `Table${write}KeyRangeThroughputExceeded`, resource: tableArn(call, table) },
        ],
      });
    case 'ProvisionedThroughputExceededException':
      return errorResponse({
        __type: `${ERROR_NAMESPACE}ProvisionedThroughputExceededException`,
        message:
          'The level of configured provisioned throughput for the table was exceeded. Consider increasing your ' +
          'provisioning level with the UpdateTable API.',
        ThrottlingReasons: [
          { reason: `Table${write}ProvisionedThroughputExceeded`, resource: tableArn(call, table) },
        ],
      });
  }
};

/** What the Node HTTP handler throws when the connection drops mid-answer; the SDK retries it as transient. */
const connectionReset = (): Error =>
  Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });

/** Reads an answer to its end so its connection goes back to the keep-alive pool, then forgets it. */
const drain = async (response: unknown): Promise<void> => {
  const body = isRecord(response) ? response.body : undefined;
  if (body instanceof Readable) {
    for await (const _ of body) {
      // Nothing to keep: the caller must not see this answer.
    }
  }
};

const defaultOperations = (error: InjectedError): ReadonlySet<string> => {
  if (CANCELLATION_REASONS.has(error)) return new Set(['TransactWriteItems']);
  if (error === 'TransactionConflictException') return SINGLE_WRITES;
  return WRITES;
};

interface ArmedRule {
  readonly error: InjectedError;
  readonly operations: ReadonlySet<string>;
  readonly pk: ((pk: string) => boolean) | undefined;
  readonly probability: number | undefined;
  remaining: number;
}

const arm = (rule: FaultRule): ArmedRule => {
  const operations =
    rule.operation === undefined
      ? defaultOperations(rule.error)
      : new Set(typeof rule.operation === 'string' ? [rule.operation] : rule.operation);
  for (const operation of operations) {
    // DynamoDB sends these only for these operations; a rule that asks otherwise would test nothing real.
    if (CANCELLATION_REASONS.has(rule.error) && !TRANSACTIONS.has(operation)) {
      throw new Error(`${rule.error} is a transaction cancellation reason: not for ${operation}`);
    }
    if (rule.error === 'TransactionConflictException' && TRANSACTIONS.has(operation)) {
      throw new Error(`a transaction is cancelled with TransactionConflict, not ${rule.error}`);
    }
  }
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
    throw new Error(`times must be a positive integer: ${rule.times}`);
  }
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
    throw new Error(`probability must be between 0 and 1: ${rule.probability}`);
  }
  const { pk } = rule;
  // Without g/y a RegExp keeps no lastIndex, so one match cannot change the next.
  const pattern = pk instanceof RegExp ? new RegExp(pk.source, pk.flags.replace(/[gy]/g, '')) : undefined;
  return {
    error: rule.error,
    operations,
    pk: pattern
      ? (value) => pattern.test(value)
      : typeof pk === 'string'
        ? (value) => value.startsWith(pk)
        : undefined,
    probability: rule.probability,
    remaining: rule.times ?? (rule.probability === undefined ? 1 : Number.POSITIVE_INFINITY),
  };
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const keyOf = (item: ItemRef) => JSON.stringify([item.table, item.pk ?? '', item.sk]);

const MIDDLEWARE_NAME = 'tembaDynamoFaults';

/**
 * Attaches a fault injector to a DynamoDBClient or DynamoDBDocumentClient (they share one middleware stack).
 * Every call of the client passes through it, whichever command sends it.
 */
export const attachDynamoFaults = <Input extends object, Output extends object>(
  client: { readonly middlewareStack: MiddlewareStack<Input, Output> },
  options: DynamoFaultOptions = {},
): DynamoFaults => {
  const random = seededRandom(options.seed ?? 0x7e3ba);
  const rules: ArmedRule[] = [];
  const log: InjectionRecord[] = [];
  const contention = Boolean(options.emulateContention);
  const holdMs = typeof options.emulateContention === 'object' ? (options.emulateContention.holdMs ?? 0) : 0;
  /** Item key → how many in-flight transactions hold it. */
  const held = new Map<string, number>();
  const limit = options.writesPerPartitionPerSecond;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new Error(`writesPerPartitionPerSecond must be a positive integer: ${limit}`);
  }
  /** Partition key → when its recent item writes were sent (ms, monotonic). */
  const recentWrites = new Map<string, number[]>();

  const record = (call: Call, error: InjectedError) => {
    log.push({ operation: call.operation, error, pks: call.pks });
  };

  /** The first rule that fires for this call, its count taken; rules that do not match roll no dice. */
  const fire = (call: Call, answerLost: boolean): { rule: ArmedRule; indexes: Set<number> } | undefined => {
    for (const rule of rules) {
      if (rule.remaining <= 0 || (rule.error === 'AnswerLost') !== answerLost) continue;
      if (!rule.operations.has(call.operation)) continue;
      const matching = call.items.filter((item) => !rule.pk || (item.pk !== undefined && rule.pk(item.pk)));
      if (rule.pk && matching.length === 0) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      rule.remaining -= 1;
      // Without a pk filter a cancellation names the first item, as a conflict on any one of them would.
      const first = matching[0];
      return {
        rule,
        indexes: new Set(rule.pk ? matching.map((item) => item.index) : first ? [first.index] : []),
      };
    }
    return undefined;
  };

  const windowOf = (pk: string, now: number): number[] => {
    const recent = (recentWrites.get(pk) ?? []).filter((at) => now - at < 1_000);
    if (recent.length === 0) recentWrites.delete(pk);
    else recentWrites.set(pk, recent);
    return recent;
  };

  /** Items whose partition is over the limit with this request's writes added; empty when it may go. */
  const overLimit = (call: Call, now: number): Set<number> => {
    const hot = new Set<number>();
    if (
      limit === undefined ||
      !(SINGLE_WRITES.has(call.operation) || call.operation === 'TransactWriteItems')
    ) {
      return hot;
    }
    for (const pk of call.pks) {
      const writes = call.items.filter((item) => item.write && item.pk === pk);
      if (writes.length > 0 && windowOf(pk, now).length + writes.length > limit) {
        for (const item of writes) hot.add(item.index);
      }
    }
    return hot;
  };

  const countWrites = (call: Call, now: number) => {
    if (limit === undefined) return;
    for (const item of call.items) {
      if (!item.write || item.pk === undefined) continue;
      const recent = windowOf(item.pk, now);
      recent.push(now);
      recentWrites.set(item.pk, recent);
    }
    // A long local run writes many partitions once: forget the quiet ones now and then.
    if (recentWrites.size > 10_000) for (const pk of [...recentWrites.keys()]) windowOf(pk, now);
  };

  const middleware: DeserializeMiddleware<Input, Output> =
    (next) =>
    async (args: DeserializeHandlerArguments<Input>): Promise<DeserializeHandlerOutput<Output>> => {
      const call = readCall(args.request);
      if (!call) return next(args);

      const injected = fire(call, false);
      if (injected) {
        const error = injected.rule.error as Exclude<InjectedError, 'AnswerLost'>;
        record(call, error);
        return { response: errorAnswer(call, error, injected.indexes) };
      }

      const now = performance.now();
      const hot = overLimit(call, now);
      if (hot.size > 0) {
        const error = call.operation === 'TransactWriteItems' ? 'ThrottlingError' : 'ThrottlingException';
        record(call, error);
        return { response: errorAnswer(call, error, hot) };
      }

      const holds = contention && call.operation === 'TransactWriteItems';
      if (contention && (holds || SINGLE_WRITES.has(call.operation))) {
        const conflicting = new Set(
          call.items.filter((item) => held.has(keyOf(item))).map((item) => item.index),
        );
        if (conflicting.size > 0) {
          const error = holds ? 'TransactionConflict' : 'TransactionConflictException';
          record(call, error);
          return { response: errorAnswer(call, error, conflicting) };
        }
      }

      const lost = fire(call, true);
      countWrites(call, now);
      const keys = holds ? [...new Set(call.items.map(keyOf))] : [];
      for (const key of keys) held.set(key, (held.get(key) ?? 0) + 1);
      let result: DeserializeHandlerOutput<Output>;
      try {
        result = await next(args);
        if (holdMs > 0 && keys.length > 0) await sleep(holdMs);
      } finally {
        for (const key of keys) {
          const count = (held.get(key) ?? 1) - 1;
          if (count > 0) held.set(key, count);
          else held.delete(key);
        }
      }
      if (lost) {
        record(call, 'AnswerLost');
        await drain(result.response);
        throw connectionReset();
      }
      return result;
    };

  client.middlewareStack.add(middleware, {
    step: 'deserialize',
    // Below the deserializer (normal priority in this step), so the synthetic answers are deserialized like real
    // ones; the retry middleware is in an earlier step, so every attempt passes through here.
    priority: 'low',
    name: MIDDLEWARE_NAME,
    tags: ['FAULT_INJECTION'],
  });

  return {
    inject(rule) {
      rules.push(arm(rule));
    },
    clear() {
      rules.length = 0;
    },
    log,
    counts() {
      const counts = Object.fromEntries(INJECTED_ERRORS.map((error) => [error, 0])) as Record<
        InjectedError,
        number
      >;
      for (const entry of log) counts[entry.error] += 1;
      return counts;
    },
  };
};

/** Attaches an injector configured as `DYNAMODB_FAULTS` says: its options, then its rules. */
export const attachDynamoFaultConfig = <Input extends object, Output extends object>(
  client: { readonly middlewareStack: MiddlewareStack<Input, Output> },
  config: DynamoFaultConfig,
): DynamoFaults => {
  const { rules = [], ...options } = config;
  const faults = attachDynamoFaults(client, options);
  for (const rule of rules) faults.inject(rule);
  return faults;
};
