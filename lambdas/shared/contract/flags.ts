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

/**
 * What a flag reads as when its value cannot be used (missing, or not the shape its schema wants): the value under
 * which no money moves in a way nobody chose. Checkout pauses (503, and `live_payments` off so nothing could take
 * sandbox money as if it were real), large amounts go to review, the daily limit holds at the defaults, and refunds
 * wait for a person. Reached only when the served document is broken: AppConfig validates a flags deployment
 * against the same schema first, and the reader keeps the last good document across a failed fetch.
 */
export const SAFE_FLAGS: Flags = {
  payments_enabled: { enabled: false },
  live_payments: { enabled: false },
  manual_review: DEFAULT_FLAGS.manual_review,
  daily_limit: DEFAULT_FLAGS.daily_limit,
  refunds_enabled: { enabled: false, daily_cap_xof: 0 },
};

/** A flag that read as its SAFE_FLAGS value, and why (logged and counted by the caller; no flag value is secret). */
export interface FlagFallback {
  readonly flag: keyof Flags;
  readonly reason: 'missing' | 'invalid';
}

export interface FlagsReading {
  readonly flags: Flags;
  readonly fallbacks: readonly FlagFallback[];
}

const FLAG_KEYS = Object.keys(flagsSchema.shape) as (keyof Flags)[];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads a served flags document flag by flag, so that one bad flag never breaks a request nor the other flags.
 *
 * - AppConfig serves a **disabled** feature flag as `{ "enabled": false }` alone, without its attributes: that is
 *   the operator's choice, honoured, with the attributes taken from the safe value (they are unused while off).
 * - A flag absent from the document, or whose value fails its schema, reads as its SAFE_FLAGS value and is named
 *   in `fallbacks`.
 * - Unknown flags are ignored (a newer profile read by older code).
 */
export const readFlags = (raw: unknown): FlagsReading => {
  const document = isRecord(raw) ? raw : {};
  const fallbacks: FlagFallback[] = [];
  const flags = {} as Record<keyof Flags, unknown>;
  for (const flag of FLAG_KEYS) {
    const value = document[flag];
    if (value === undefined) {
      flags[flag] = SAFE_FLAGS[flag];
      fallbacks.push({ flag, reason: 'missing' });
      continue;
    }
    const parsed = flagsSchema.shape[flag].safeParse(value);
    if (parsed.success) {
      flags[flag] = parsed.data;
    } else if (isRecord(value) && value.enabled === false) {
      flags[flag] = { ...SAFE_FLAGS[flag], enabled: false };
    } else {
      flags[flag] = SAFE_FLAGS[flag];
      fallbacks.push({ flag, reason: 'invalid' });
    }
  }
  return { flags: flags as Flags, fallbacks };
};
