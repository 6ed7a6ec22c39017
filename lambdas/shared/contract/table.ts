/**
 * The single definition of the payments table, imported by the CDK data construct and by local mode,
 * so the deployed table and the emulated one can never disagree on keys, indexes or TTL.
 *
 * Item types (single-table design):
 * - order          pk=ORDER#<orderId>  sk=ORDER
 * - audit event    pk=ORDER#<orderId>  sk=AUDIT#<version, zero-padded>   (append-only)
 * - idempotency    pk=IDEM#<sha256(key)> sk=IDEM                          (expires through TTL)
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
    },
    /** Orders by status and creation time: reconcile finds stale PENDING orders here, never by scan. */
    byStatus: {
      name: 'byStatus',
      partitionKey: { name: 'gsi2pk', type: 'S' },
      sortKey: { name: 'gsi2sk', type: 'S' },
    },
  },
} as const;

export type KeyAttribute = { readonly name: string; readonly type: 'S' | 'N' };
