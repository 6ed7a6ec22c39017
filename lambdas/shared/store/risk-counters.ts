import { randomBytes } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { RISK_COUNTING } from '../contract/fraud';
import { TABLE } from '../contract/table';
import type { Telemetry } from '../domain/ports';
import {
  type BlockedCheckout,
  type CheckoutCount,
  EMPTY_RISK_DAY,
  type PaidCount,
  type RiskCounters,
  type RiskDay,
  type RiskHistory,
  type RiskIdentity,
  type RiskKeys,
} from '../domain/ports-fraud';
import { blockedKey } from './keys';
import { isConditionFailure, retryWrite } from './write-retry';

/**
 * RiskCounters on the payments table (the item layout and its reasons are in domain/ports-fraud.ts):
 *
 *     pk RISK#<identity>#<hash>   sk D#<yyyy-mm-dd>   c07 s07 f07 (hourly)  t:<eventId>  phones cards customers
 *                                                     newCustomers (string sets)  expiresAt  w (last write's id)
 *     pk RISK#customer#<hash>     sk PROFILE          paid
 *
 * ## Why no item gets hot, in DynamoDB's units
 *
 * One partition takes at most 1,000 write units and 3,000 read units a second. A write costs one unit per started
 * KB of the item (the larger of its size before and after), a failed condition included; an eventually consistent
 * read half a unit per started 4 KB. Hashes are 64 hex characters, so with sets capped at
 * RISK_COUNTING.maxDistinctPerDay (100) an item is bounded: a full set is 100 × 64 B = 6.4 KB, the customer's
 * item (phones + cards, 48 hourly counters, a few events' tickets) at most ~13.5 KB, the phone's (customers) and
 * the IP's (newCustomers) ~7 KB, the e-mail's (counters only) ~0.5 KB. An ordinary item (a few hours, one or two
 * phones) stays under 1 KB: 1 write unit.
 *
 * - A checkout: 4 UpdateItems, 4 units typically. When a capped set is full and the checkout brings a new member,
 *   that item's write fails its condition and is sent again without the member: 2 writes of its size (a
 *   carrier-NAT address with 100 new accounts today: 2 × 7 = 14 units for that item).
 * - A screening read: one BatchGet of 9 items, eventually consistent: 9 × 0.5 = 4.5 read units typically, at most
 *   ~12 when every set is full.
 * - The busiest item is a carrier-NAT address at ~2 writes a second in a 200-a-second rush (ports-fraud.ts): even
 *   with its newCustomers set full that is ~30 units a second, 3 % of its partition's 1,000; every other item is
 *   written by one customer's own checkouts.
 *
 * ## Capping a set without a second write
 *
 * `ADD phones :p` cannot say "unless the set has 100 members". Each write that adds members carries the condition
 * `attribute_not_exists(phones) OR size(phones) < :cap OR contains(phones, :p)` per set, evaluated atomically with
 * the write: a set never passes its cap, even under concurrent checkouts. When a condition fails, the item as it
 * was comes back with the error (ReturnValuesOnConditionCheckFailure), the sets that are full are dropped from the
 * write and it is sent again, counters and the sets with room still in it. So a checkout writes each item once,
 * twice when it meets a full set, never more than once per set plus one.
 *
 * ## Faults: best effort, never counted twice
 *
 * A counter never fails a checkout nor a settlement: each item's write is retried as every store write is
 * (WRITE_RETRY, on top of the SDK's own retries), and when that budget runs out, or on any other error, that item
 * is skipped and a warning logged; the other items are still written. A missed count only makes screening more
 * lenient. An `ADD` repeated after a lost answer would count twice (stricter, and wrong), so each write also sets
 * `w` to a random id under the condition `w <> :id`: the retry of a write that landed fails its condition, finds
 * its own id and stops. (Only a write by another checkout to the same item between the two attempts could let it
 * count twice.)
 *
 * Reads: a BatchGet leaves keys unprocessed when DynamoDB throttles some of them. They are asked again
 * READ_ROUNDS times with a growing pause; what is still missing then reads as an empty day, and a profile not read
 * as "has paid" (as NO_SIGNALS does): both lenient. A BatchGet that fails as a whole rejects; the caller screens
 * with NO_SIGNALS.
 */

/** Partition key prefix of the risk counters. */
export const RISK_ITEM_PREFIX = 'RISK#';

export const riskDayKey = (identity: RiskIdentity, key: string, day: string) => ({
  pk: `${RISK_ITEM_PREFIX}${identity}#${key}`,
  sk: `D#${day}`,
});

/** A blocked checkout's audit record, on the customer's own partition, in time order. */
export const riskBlockKey = (block: Pick<BlockedCheckout, 'keys' | 'at' | 'blockId'>) => ({
  pk: `${RISK_ITEM_PREFIX}customer#${block.keys.customer}`,
  sk: `BLOCK#${block.at}#${block.blockId}`,
});

/**
 * How long a block's audit record is kept: 400 days, beyond the year a card dispute can be raised in and the PCI
 * review that may ask why a customer was refused. It holds hashes and rule numbers only, no contact detail.
 */
export const BLOCK_RECORD_DAYS = 400;

export const riskProfileKey = (customer: string) => ({
  pk: `${RISK_ITEM_PREFIX}customer#${customer}`,
  sk: 'PROFILE',
});

/** Rounds of BatchGet for keys left unprocessed, after the first, and the pause before each: 20, 40, 80 ms. */
const READ_ROUNDS = 3;
const READ_PAUSE_MS = 20;

const DAY_SECONDS = 24 * 60 * 60;
const IDENTITIES: readonly RiskIdentity[] = ['customer', 'phone', 'email', 'ip'];

type SetField = 'phones' | 'cards' | 'customers' | 'newCustomers';
const SET_FIELDS: readonly SetField[] = ['phones', 'cards', 'customers', 'newCustomers'];

type HourlyField = 'checkouts' | 'small' | 'failures';
/** The attribute letter of each hourly counter: `c07` = checkouts in hour 07. */
const HOURLY_PREFIX: Readonly<Record<HourlyField, string>> = { checkouts: 'c', small: 's', failures: 'f' };
const HOURLY_ATTRIBUTE = /^([csf])(\d{2})$/;
const TICKETS_PREFIX = 't:';
const WRITE_ID = 'w';

const dayOf = (at: Date): string => at.toISOString().slice(0, 10);
const hourly = (field: HourlyField, at: Date): string =>
  `${HOURLY_PREFIX[field]}${String(at.getUTCHours()).padStart(2, '0')}`;

/** The TTL of a day's item: the end of the next day (the last time it is read, as "yesterday") plus a day. */
export const riskDayExpiresAt = (day: string): number =>
  Math.floor(Date.parse(`${day}T00:00:00.000Z`) / 1000) + 3 * DAY_SECONDS;

/** What one write adds to one identity's item of one day. */
interface DayChange {
  readonly identity: RiskIdentity;
  readonly key: string;
  /** Number attributes to add to (hourly counters, tickets). */
  readonly add: Readonly<Record<string, number>>;
  /** A member for each capped set. */
  readonly members: Readonly<Partial<Record<SetField, string>>>;
}

type Item = Readonly<Record<string, unknown>>;

const hourlyCounts = (item: Item, field: HourlyField): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const [name, value] of Object.entries(item)) {
    const match = HOURLY_ATTRIBUTE.exec(name);
    if (match?.[1] === HOURLY_PREFIX[field]) counts[Number(match[2])] = Number(value);
  }
  return counts;
};

const members = (value: unknown): string[] =>
  value instanceof Set ? [...value].map(String).sort() : Array.isArray(value) ? value.map(String).sort() : [];

/** A stored day item as the port's RiskDay; an absent item is EMPTY_RISK_DAY. */
export const toRiskDay = (item: Item | undefined): RiskDay => {
  if (!item) return EMPTY_RISK_DAY;
  const tickets: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(TICKETS_PREFIX)) tickets[name.slice(TICKETS_PREFIX.length)] = Number(value);
  }
  return {
    checkouts: hourlyCounts(item, 'checkouts'),
    small: hourlyCounts(item, 'small'),
    failures: hourlyCounts(item, 'failures'),
    tickets,
    phones: members(item.phones),
    cards: members(item.cards),
    customers: members(item.customers),
    newCustomers: members(item.newCustomers),
  };
};

/** The raw item a failed condition sends back (not unmarshalled by the document client). */
const returnedItem = (error: unknown): Readonly<Record<string, AttributeValue>> | undefined =>
  (error as { Item?: Record<string, AttributeValue> }).Item;

const keyId = (key: { readonly pk: string; readonly sk: string }) => `${key.pk}\n${key.sk}`;

export interface RiskCountersDeps {
  /** Told of every counter skipped (a warning: counting is best effort). */
  readonly telemetry: Pick<Telemetry, 'warn'>;
}

/**
 * The risk counters on `tableName` through the shared document client (dynamo-client.ts: its retries and
 * timeouts). Needs no clock: every call says when it happened.
 */
export const createDynamoRiskCounters = (
  client: DynamoDBDocumentClient,
  tableName: string,
  deps: RiskCountersDeps,
): RiskCounters => {
  const skipped = (what: string, error: unknown) =>
    deps.telemetry.warn(`risk counter ${what} skipped; screening reads it as lower`, {
      error: error instanceof Error ? error.name : String(error),
    });

  const update = (change: DayChange, at: Date, writeId: string, sets: readonly SetField[]) => {
    const day = dayOf(at);
    const names: Record<string, string> = { '#w': WRITE_ID, '#exp': TABLE.ttlAttribute };
    const values: Record<string, unknown> = { ':w': writeId, ':exp': riskDayExpiresAt(day) };
    const adds: string[] = [];
    const conditions = ['(attribute_not_exists(#w) OR #w <> :w)'];
    Object.entries(change.add).forEach(([attribute, amount], i) => {
      names[`#a${i}`] = attribute;
      values[`:a${i}`] = amount;
      adds.push(`#a${i} :a${i}`);
    });
    if (sets.length > 0) values[':cap'] = RISK_COUNTING.maxDistinctPerDay;
    sets.forEach((field, i) => {
      const member = change.members[field] as string;
      names[`#s${i}`] = field;
      values[`:s${i}`] = new Set([member]);
      values[`:m${i}`] = member;
      adds.push(`#s${i} :s${i}`);
      conditions.push(`(attribute_not_exists(#s${i}) OR size(#s${i}) < :cap OR contains(#s${i}, :m${i}))`);
    });
    return new UpdateCommand({
      TableName: tableName,
      Key: riskDayKey(change.identity, change.key, day),
      UpdateExpression: `SET #w = :w, #exp = :exp${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  };

  /** One item's write: once, again without the sets found full, never throwing. */
  const writeDay = async (change: DayChange, at: Date): Promise<void> => {
    const writeId = randomBytes(9).toString('base64url');
    let sets = SET_FIELDS.filter((field) => change.members[field] !== undefined);
    try {
      // Each failed round drops at least one set (the item that failed the condition has a full set without our
      // member, or our write id when a lost answer's retry found its own write), so this ends.
      for (;;) {
        try {
          const command = update(change, at, writeId, sets);
          await retryWrite('count risk', () => client.send(command), { canRetryLostAnswer: true });
          return;
        } catch (error) {
          if (!isConditionFailure(error)) throw error;
          const before = returnedItem(error);
          if (before?.[WRITE_ID]?.S === writeId) return;
          const room = sets.filter((field) => {
            const stored = before?.[field]?.SS ?? [];
            return stored.length < RISK_COUNTING.maxDistinctPerDay;
          });
          if (room.length === sets.length) throw error;
          sets = room;
        }
      }
    } catch (error) {
      skipped(change.identity, error);
    }
  };

  const writeProfile = async (customer: string): Promise<void> => {
    try {
      await retryWrite(
        'mark risk profile paid',
        () =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: riskProfileKey(customer),
              UpdateExpression: 'SET paid = :yes',
              ExpressionAttributeValues: { ':yes': true },
            }),
          ),
        { canRetryLostAnswer: true },
      );
    } catch (error) {
      skipped('profile', error);
    }
  };

  return {
    async read(keys: RiskKeys, at: Date): Promise<RiskHistory> {
      const today = dayOf(at);
      const yesterday = dayOf(new Date(at.getTime() - DAY_SECONDS * 1000));
      const profile = riskProfileKey(keys.customer);
      let pending: Record<string, unknown>[] = [
        ...IDENTITIES.flatMap((identity) => [
          riskDayKey(identity, keys[identity], today),
          riskDayKey(identity, keys[identity], yesterday),
        ]),
        profile,
      ];
      const found = new Map<string, Item>();
      for (let round = 0; pending.length > 0 && round <= READ_ROUNDS; round++) {
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, READ_PAUSE_MS * 2 ** (round - 1)));
        const result = await client.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending } } }),
        );
        for (const item of result.Responses?.[tableName] ?? []) {
          found.set(keyId({ pk: String(item.pk), sk: String(item.sk) }), item);
        }
        pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
      const unread = new Set(pending.map((key) => keyId({ pk: String(key.pk), sk: String(key.sk) })));
      if (unread.size > 0) skipped(`read of ${unread.size} item(s)`, new Error('UnprocessedKeys'));
      const dayOfIdentity = (identity: RiskIdentity, day: string) =>
        toRiskDay(found.get(keyId(riskDayKey(identity, keys[identity], day))));
      const days = Object.fromEntries(
        IDENTITIES.map((identity) => [
          identity,
          { today: dayOfIdentity(identity, today), yesterday: dayOfIdentity(identity, yesterday) },
        ]),
      ) as RiskHistory['days'];
      const profileId = keyId(profile);
      return {
        days,
        customerHasPaid: unread.has(profileId) || found.get(profileId)?.paid === true,
      };
    },

    async recordCheckout(count: CheckoutCount, at: Date): Promise<void> {
      const checkout = { [hourly('checkouts', at)]: 1 };
      const small = count.amount <= RISK_COUNTING.smallCheckoutXof ? { [hourly('small', at)]: 1 } : {};
      const { keys } = count;
      await Promise.all([
        writeDay(
          {
            identity: 'customer',
            key: keys.customer,
            add: { ...checkout, ...small },
            members: { phones: keys.phone, ...(count.card === undefined ? {} : { cards: count.card }) },
          },
          at,
        ),
        writeDay(
          { identity: 'phone', key: keys.phone, add: checkout, members: { customers: keys.customer } },
          at,
        ),
        writeDay({ identity: 'email', key: keys.email, add: checkout, members: {} }, at),
        writeDay(
          {
            identity: 'ip',
            key: keys.ip,
            add: { ...checkout, ...small },
            members: count.customerHasPaid ? {} : { newCustomers: keys.customer },
          },
          at,
        ),
      ]);
    },

    async recordFailure(keys: Pick<RiskKeys, 'customer' | 'ip'>, at: Date): Promise<void> {
      const failure = { [hourly('failures', at)]: 1 };
      await Promise.all([
        writeDay({ identity: 'customer', key: keys.customer, add: failure, members: {} }, at),
        writeDay({ identity: 'ip', key: keys.ip, add: failure, members: {} }, at),
      ]);
    },

    /**
     * Unlike the counters, the caller hears of a failure (it logs the decision instead). Written once: the put is
     * conditional on the record's absence, so the retry of a put whose answer was lost fails its condition on its
     * own record, which means it landed.
     */
    async recordBlock(block: BlockedCheckout): Promise<void> {
      const expiresAt = Math.floor(Date.parse(block.at) / 1000) + BLOCK_RECORD_DAYS * DAY_SECONDS;
      try {
        await retryWrite(
          'record blocked checkout',
          () =>
            client.send(
              new PutCommand({
                TableName: tableName,
                Item: {
                  ...riskBlockKey(block),
                  // In the byDay index under the day it happened, for the daily report's blocks per rule.
                  gsi3pk: blockedKey(block.at.slice(0, 10), block.blockId),
                  gsi3sk: `${block.at}#${block.blockId}`,
                  blockId: block.blockId,
                  at: block.at,
                  amount: block.amount,
                  keys: block.keys,
                  reasons: block.reasons,
                  [TABLE.ttlAttribute]: expiresAt,
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
          { canRetryLostAnswer: true },
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    async recordPaid(paid: PaidCount, at: Date): Promise<void> {
      const { eventId } = paid;
      const tickets = eventId === undefined ? undefined : { [`${TICKETS_PREFIX}${eventId}`]: paid.tickets };
      await Promise.all([
        writeProfile(paid.keys.customer),
        ...(tickets
          ? [
              writeDay({ identity: 'customer', key: paid.keys.customer, add: tickets, members: {} }, at),
              writeDay({ identity: 'phone', key: paid.keys.phone, add: tickets, members: {} }, at),
            ]
          : []),
      ]);
    },
  };
};
