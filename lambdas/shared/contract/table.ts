/**
 * The single definition of the payments table, imported by the CDK data construct and by local mode,
 * so the deployed table and the emulated one can never disagree on keys, indexes or TTL.
 *
 * Item types (single-table design):
 * - order          pk=ORDER#<orderId>  sk=ORDER        (its audit trail is a list inside the item: one write
 *                                                       changes the order and appends its audit event)
 * - idempotency    pk=IDEM#<sha256(key)> sk=IDEM        (points at the order it created; expires through TTL)
 * - limit shard    pk=LIMIT#<day>#<n>  sk=LIMIT         (one of TABLE.shards.dailyLimit slices of the day's limit)
 * - limit warnings pk=LIMITWARN#<day>  sk=LIMITWARN     (which warning levels were sent that day)
 * - attempts       pk=ATTEMPTS#<phone hash> sk=W#<window start>
 * - report         pk=REPORT#<day>     sk=REPORT        (latest revision of the day's report)
 * - refund cap     pk=REFUNDCAP#<day>  sk=REFUNDCAP     (XOF sent back through PayDunya that day; refunds are
 *                                                       rare next to payments, so one item a day is not hot)
 * - alert claim    pk=ALERT#<stage>#<type>#<orderId or summary hash> sk=ALERT (de-duplication window; TTL)
 * - restore drill  pk=DRILL sk=RUN#<started at, ISO>                      (one per drill run; TTL after a year)
 *
 * No item is written by every payment: on real DynamoDB one item takes at most ~1,000 write units a second and
 * two transactions on it at once conflict. So the daily limit is sliced into shards, the report is built from
 * the orders themselves, and index keys that every order would share carry a shard suffix.
 */
export const TABLE = {
  /** Physical name per stage; local mode uses `temba-payments-local`. */
  nameFor: (stage: string): string => `temba-payments-${stage}`,
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expiresAt',
  indexes: {
    /** Look an order up by its PayDunya invoice token. */
    byToken: {
      name: 'byToken',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
      // Readers only need the order id and re-read the order itself: projecting the whole item would double
      // the write units of every order write (issue 7).
      projectedAttributes: ['orderId'],
    },
    /**
     * Orders still to be settled (`OPEN#<n>`: CREATED or PENDING) or settled unpaid (`UNPAID#<n>`), by creation
     * time: reconcile and the 48-hour recheck find them here, never by scan. Paid orders leave the index. One key
     * shared by every open order would be a hot partition, so the key carries the order's shard (n < shards.index).
     */
    byStatus: {
      name: 'byStatus',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      projectedAttributes: ['orderId'],
    },
    /**
     * Settled orders by the UTC day their money moved (`BOOK#<day>#<n>`): the daily report is built from these
     * rows, so it always equals the orders. Projects what the report reads and nothing more.
     */
    byDay: {
      name: 'byDay',
      partitionKey: { name: 'gsi3pk', type: 'S' },
      sortKey: { name: 'gsi3sk', type: 'S' },
      projectedAttributes: [
        'orderId',
        'status',
        'amount',
        'paymentMethod',
        'review',
        'discrepancy',
        'late',
        'bookedAt',
        'refundedAmount',
        'refunds',
        // Reconcile finds paid orders ticketing has not acknowledged here (an acknowledgement updates the row).
        'fulfilment',
        // The complaint and fraud KPIs (docs/fraud-kpis.md): screening's review and its rules, the complaints'
        // categories (never support's notes) and the fraud label. Set at checkout, or by rare support and review
        // writes.
        'risk',
        'complaintCategories',
        'fraudLabel',
        // Blocked checkouts' audit records (`BLOCKED#<day>#<n>`, no order): the rules that blocked each one.
        'blockId',
        'reasons',
      ],
    },
    /**
     * Orders by Temba's reservation id (`REF#<reference>`, newest last): ticketing finds the payments of a
     * reservation here. Sparse (only orders given a reference), and its keys never change after creation, so
     * later writes of the order cost this index nothing.
     */
    byReference: {
      name: 'byReference',
      partitionKey: { name: 'gsi4pk', type: 'S' },
      sortKey: { name: 'gsi4sk', type: 'S' },
      projectedAttributes: ['orderId'],
    },
    /**
     * A customer's orders, newest first (`OWNER#<token subject>`): GET /payments pages through it. Written once, when
     * the order is created (its keys never change), so the order's later writes cost this index nothing.
     */
    byOwner: {
      name: 'byOwner',
      partitionKey: { name: 'gsi5pk', type: 'S' },
      sortKey: { name: 'gsi5sk', type: 'S' },
      projectedAttributes: ['orderId'],
    },
  },
  /**
   * The table's stream carries every committed order write, old and new image: the audit event a change appends
   * is its outbox entry, published as a payment event (contract/events.ts). A change that did not commit is in
   * no stream record, so no event exists without its change.
   */
  stream: 'NEW_AND_OLD_IMAGES',
  /**
   * Write sharding. `index`: shards of the byStatus and byDay keys (an order's shard is a hash of its id).
   * `dailyLimit`: slices of each day's limit; a checkout takes its share from one slice, a slice holds
   * limit / shards (README design notes: the arithmetic).
   */
  shards: { index: 8, dailyLimit: 16 },
} as const;

export type KeyAttribute = { readonly name: string; readonly type: 'S' | 'N' };

/** Partition key prefixes of the operational items (alert de-duplication, restore drill runs). */
export const ITEM_PREFIX = { alert: 'ALERT#', restoreDrill: 'DRILL' } as const;

/**
 * Scratch tables of the restore drill: `temba-payments-<stage>-drill-<yyyymmddhhmm>`. The drill may restore into,
 * read and delete only tables with this prefix (IAM in lib/constructs/restore-drill.ts).
 */
export const DRILL_TABLE = {
  prefixFor: (stage: string): string => `${TABLE.nameFor(stage)}-drill-`,
  nameFor: (stage: string, at: Date): string =>
    `${TABLE.nameFor(stage)}-drill-${at.toISOString().slice(0, 16).replace(/[-T:]/g, '')}`,
} as const;
