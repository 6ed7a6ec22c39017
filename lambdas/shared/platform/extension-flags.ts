import { type Flags, readFlags } from '../contract/flags';
import type { FlagsProvider, Telemetry } from '../domain/ports';
import { extensionGet } from './extension-http';

/** Documented default port of the AWS AppConfig Agent Lambda extension. */
export const APPCONFIG_EXTENSION_DEFAULT_PORT = 2772;
/**
 * The extension polls AppConfig in the background (AWS_APPCONFIG_EXTENSION_POLL_INTERVAL_SECONDS, set by the CDK);
 * the function keeps the document a few seconds on top so a burst of requests makes one loopback call. Flags are
 * the rollback switch: poll interval + this is how long "pause payments" takes to reach a warm container.
 */
const IN_PROCESS_MAX_AGE_MS = 5_000;
const TIMEOUT_MS = 2_000;

export interface ExtensionFlagsOptions {
  readonly application: string;
  readonly environment: string;
  readonly profile: string;
  readonly port: number;
  readonly telemetry: Pick<Telemetry, 'warn' | 'error'>;
  readonly timeoutMs?: number;
  readonly maxAgeMs?: number;
  readonly nowMs?: () => number;
}

/**
 * AppConfig feature flags through the AWS AppConfig Agent Lambda extension:
 * `GET /applications/<app>/environments/<env>/configurations/<profile>` on localhost answers the flags document
 * (`{ flag: { enabled, ...attributes } }`).
 *
 * Flags never break a request. A served document is read flag by flag with the shared `readFlags` (contract/flags.ts:
 * a missing or malformed flag reads as its safe value, and is logged by name). When no document can be had (the
 * extension unreachable or slow, a non-200 answer, text that is not JSON) the last good document is kept; before the
 * first one, every flag reads as its safe value (payments paused, test mode, refunds held) until one arrives.
 */
export const createExtensionFlags = (options: ExtensionFlagsOptions): FlagsProvider => {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const maxAgeMs = options.maxAgeMs ?? IN_PROCESS_MAX_AGE_MS;
  const nowMs = options.nowMs ?? Date.now;
  const path = ['applications', options.application, 'environments', options.environment, 'configurations']
    .concat(options.profile)
    .map(encodeURIComponent)
    .join('/');
  const url = `http://localhost:${options.port}/${path}`;
  let lastGood: Flags | undefined;
  /** Until then, answers come from memory: after a good read, and after a failure too (one slow call per window). */
  let freshUntil = Number.NEGATIVE_INFINITY;
  let current: Flags | undefined;
  let inFlight: Promise<Flags> | undefined;

  const fallBack = (reason: string, detail: Readonly<Record<string, unknown>>): Flags => {
    if (lastGood) {
      options.telemetry.warn('flags unavailable; keeping the last good flags', { reason, ...detail });
      return lastGood;
    }
    options.telemetry.error('flags unavailable and none read yet; every flag reads as its safe value', {
      reason,
      ...detail,
    });
    return readFlags(undefined).flags;
  };

  const fetchFlags = async (): Promise<Flags> => {
    let answer: Awaited<ReturnType<typeof extensionGet>>;
    try {
      answer = await extensionGet(url, { timeoutMs });
    } catch (error) {
      return fallBack('unreachable', { error: error instanceof Error ? error.message : String(error) });
    }
    if (answer.status !== 200) {
      return fallBack('refused', { status: answer.status, answer: answer.body.slice(0, 300) });
    }
    let raw: unknown;
    try {
      raw = JSON.parse(answer.body);
    } catch {
      return fallBack('not JSON', { bytes: answer.body.length });
    }
    const { flags, fallbacks } = readFlags(raw);
    if (fallbacks.length > 0) {
      options.telemetry.warn('flags document served with unusable flags; they read as their safe values', {
        fallbacks: fallbacks.map((fallback) => `${fallback.flag} (${fallback.reason})`).join(', '),
      });
    }
    lastGood = flags;
    return flags;
  };

  return {
    get() {
      if (current && nowMs() < freshUntil) return Promise.resolve(current);
      // Concurrent requests of one container share one loopback call.
      inFlight ??= fetchFlags()
        .then((flags) => {
          current = flags;
          freshUntil = nowMs() + maxAgeMs;
          return flags;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
};
