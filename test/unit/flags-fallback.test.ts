import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS, type Flags, readFlags, SAFE_FLAGS } from '../../lambdas/shared/contract/flags';
import { DEFAULT_FRAUD_RULES } from '../../lambdas/shared/contract/fraud';
import { featureFlagsDocument } from '../../lib/constructs/feature-flags';
import { createFileFlags, createFileFraudRules } from '../../local/local-adapters';

/**
 * What AppConfig's data plane serves for an `AWS.AppConfig.FeatureFlags` profile: each flag as `{ enabled }`, plus
 * its attribute values only while it is enabled (a disabled flag is served without them).
 */
const servedByAppConfig = (stored: ReturnType<typeof featureFlagsDocument>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(stored.values).map(([name, value]) => {
      const { enabled, ...attributes } = value as { enabled: boolean } & Record<string, unknown>;
      return [name, enabled ? { enabled, ...attributes } : { enabled: false }];
    }),
  );

describe('flags never break a request', () => {
  it('reads the document AppConfig serves for the deployed defaults exactly, with no fallback', () => {
    const reading = readFlags(servedByAppConfig(featureFlagsDocument(DEFAULT_FLAGS)));
    expect(reading.flags).toEqual(DEFAULT_FLAGS);
    expect(reading.fallbacks).toEqual([]);
  });

  it('honours a disabled flag served without its attributes (manual_review, daily_limit, refunds_enabled off)', () => {
    const off: Flags = {
      ...DEFAULT_FLAGS,
      manual_review: { ...DEFAULT_FLAGS.manual_review, enabled: false },
      daily_limit: { ...DEFAULT_FLAGS.daily_limit, enabled: false },
      refunds_enabled: { ...DEFAULT_FLAGS.refunds_enabled, enabled: false },
    };
    const served = servedByAppConfig(featureFlagsDocument(off));
    expect(served.manual_review).toEqual({ enabled: false });

    const reading = readFlags(served);
    expect(reading.fallbacks).toEqual([]);
    expect(reading.flags.manual_review.enabled).toBe(false);
    expect(reading.flags.daily_limit.enabled).toBe(false);
    expect(reading.flags.refunds_enabled).toEqual({ enabled: false, daily_cap_xof: 0 });
    expect(reading.flags.payments_enabled).toEqual({ enabled: true });
  });

  it('falls back flag by flag to the safe value for a missing or malformed flag, and names it', () => {
    const reading = readFlags({
      live_payments: { enabled: 'yes' },
      manual_review: { enabled: true },
      daily_limit: { enabled: true, max_xof: -5, max_count: 10 },
      refunds_enabled: { enabled: true, daily_cap_xof: 50_000 },
      a_flag_from_a_newer_profile: { enabled: true },
    });
    expect(reading.flags).toEqual({
      ...SAFE_FLAGS,
      refunds_enabled: { enabled: true, daily_cap_xof: 50_000 },
    });
    expect(reading.fallbacks).toEqual([
      { flag: 'payments_enabled', reason: 'missing' },
      { flag: 'live_payments', reason: 'invalid' },
      { flag: 'manual_review', reason: 'invalid' },
      { flag: 'daily_limit', reason: 'invalid' },
    ]);
  });

  it('reads anything that is not a flags document (null, an array, text) as all-safe: paused, test mode, no refunds', () => {
    for (const raw of [null, undefined, [], 'payments_enabled', 42]) {
      const reading = readFlags(raw);
      expect(reading.flags).toEqual(SAFE_FLAGS);
      expect(reading.fallbacks).toHaveLength(Object.keys(SAFE_FLAGS).length);
    }
    expect(SAFE_FLAGS.payments_enabled.enabled).toBe(false);
    expect(SAFE_FLAGS.live_payments.enabled).toBe(false);
    expect(SAFE_FLAGS.refunds_enabled.enabled).toBe(false);
    expect(SAFE_FLAGS.manual_review.enabled).toBe(true);
    expect(SAFE_FLAGS.daily_limit.enabled).toBe(true);
  });
});

describe('local mode reads its flags file the same way', () => {
  it('a hand-broken flags file pauses payments with a warning naming the flags, instead of failing requests', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flags-'));
    try {
      const file = join(dir, 'flags.json');
      const warnings: string[] = [];
      await writeFile(file, '{ "payments_enabled": { "enabled": true }, ');
      expect(await createFileFlags(file, (line) => warnings.push(line)).get()).toEqual(SAFE_FLAGS);
      expect(warnings.join('\n')).toMatch(/payments_enabled \(missing\)/);

      await writeFile(file, JSON.stringify({ ...DEFAULT_FLAGS, manual_review: { enabled: false } }));
      const flags = await createFileFlags(file, (line) => warnings.push(line)).get();
      expect(flags.manual_review.enabled).toBe(false);
      expect(flags.payments_enabled.enabled).toBe(true);
      expect(warnings).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('local fraud rules file: screening never turns itself off', () => {
  it('a missing file reads as the defaults; a file that is not JSON reads as the defaults and says so; a rule switched off stays off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fraud-rules-'));
    try {
      const file = join(dir, 'fraud-rules.json');
      const warnings: string[] = [];
      const rules = createFileFraudRules(file, (line) => warnings.push(line));
      expect(await rules.get()).toEqual(DEFAULT_FRAUD_RULES);
      expect(warnings).toEqual([]);

      await writeFile(file, '{"card_testing": {"enabled": true,');
      expect(await rules.get()).toEqual(DEFAULT_FRAUD_RULES);
      expect(warnings.join('\n')).toMatch(/card_testing \(missing\)/);

      await writeFile(file, JSON.stringify({ ...DEFAULT_FRAUD_RULES, card_testing: { enabled: false } }));
      expect((await rules.get()).card_testing.enabled).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
