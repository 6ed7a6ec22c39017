import * as z from 'zod';

/**
 * Feature flags. The same shape is served by AppConfig (`AWS.AppConfig.FeatureFlags` profiles resolve to
 * `{ flagName: { enabled, ...attributes } }`) and by the local JSON flags file.
 */
export const FLAG_NAMES = {
  paymentsEnabled: 'payments_enabled',
  livePayments: 'live_payments',
  manualReview: 'manual_review',
  dailyLimit: 'daily_limit',
  refunds: 'refunds_enabled',
} as const;

export const flagsSchema = z.object({
  payments_enabled: z.object({ enabled: z.boolean() }),
  live_payments: z.object({ enabled: z.boolean() }),
  manual_review: z.object({ enabled: z.boolean(), threshold_xof: z.number().int().positive() }),
  daily_limit: z.object({
    enabled: z.boolean(),
    max_xof: z.number().int().positive(),
    max_count: z.number().int().positive(),
  }),
  /** Kill switch of automatic refunds, and the most XOF sent back through PayDunya per UTC day. */
  // A flags document older than this flag (a local file) reads as "off": refunds then wait for a person.
  refunds_enabled: z
    .object({ enabled: z.boolean(), daily_cap_xof: z.number().int().nonnegative() })
    .default({ enabled: false, daily_cap_xof: 0 }),
});

export type Flags = z.infer<typeof flagsSchema>;

/** What a stage starts with; the CDK flags construct deploys these, local mode writes them to its file. */
export const DEFAULT_FLAGS: Flags = {
  payments_enabled: { enabled: true },
  live_payments: { enabled: false },
  manual_review: { enabled: true, threshold_xof: 100_000 },
  daily_limit: { enabled: true, max_xof: 5_000_000, max_count: 500 },
  refunds_enabled: { enabled: true, daily_cap_xof: 1_000_000 },
};
