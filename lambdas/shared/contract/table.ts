/**
 * The single definition of the payments table, imported by the CDK data construct and by local mode,
 * so the deployed table and the emulated one can never disagree on keys, indexes or TTL.
 *
 * Item types (single-table design):
 * - order          pk=ORDER#<orderId>  sk=ORDER
 * - audit event    pk=ORDER#<orderId>  sk=AUDIT#<version, zero-padded>   (append-only)
 * - idempotency    pk=IDEM#<sha256(key)> sk=IDEM                          (expires through TTL)
 * - alert claim    pk=ALERT#<stage>#<type>#<orderId or summary hash> sk=ALERT (de-duplication window; TTL)
 * - restore drill  pk=DRILL sk=RUN#<started at, ISO>                      (one per drill run; TTL after a year)
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
    /** Orders by status and creation time: reconcile finds stale PENDING orders here, never by scan. */
    byStatus: {
      name: 'byStatus',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
      projectedAttributes: ['orderId'],
    },
  },
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
