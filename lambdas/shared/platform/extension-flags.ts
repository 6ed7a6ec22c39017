import { type Flags, readFlags } from '../contract/flags';
import { type FraudRules, readFraudRules } from '../contract/fraud';
import type { FlagsProvider, Telemetry } from '../domain/ports';
import type { FraudRulesProvider } from '../domain/ports-fraud';
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

/** How one AppConfig document is read: piece by piece, with the pieces that fell back named. */
interface DocumentReader<T> {
  /** "flags", "fraud rules": what the log lines call it. */
  readonly what: string;
  read(raw: unknown): { readonly value: T; readonly fallbacks: readonly string[] };
  /** Before any document was read: the value under which nothing happens that nobody chose. */
  readonly safe: () => T;
}

/**
 * One AppConfig configuration through the AWS AppConfig Agent Lambda extension:
 * `GET /applications/<app>/environments/<env>/configurations/<profile>` on localhost answers the document.
 *
 * A document never breaks a request. A served one is read piece by piece (`reader.read`: a missing or malformed
 * piece reads as its safe value, and is logged by name). When no document can be had (the extension unreachable
 * or slow, a non-200 answer, text that is not JSON) the last good one is kept; before the first one, the safe
 * value is used until one arrives.
 */
const createExtensionDocument = <T>(
  options: ExtensionFlagsOptions,
  reader: DocumentReader<T>,
): { get(): Promise<T> } => {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  const maxAgeMs = options.maxAgeMs ?? IN_PROCESS_MAX_AGE_MS;
  const nowMs = options.nowMs ?? Date.now;
  const path = ['applications', options.application, 'environments', options.environment, 'configurations']
    .concat(options.profile)
    .map(encodeURIComponent)
    .join('/');
  const url = `http://localhost:${options.port}/${path}`;
  let lastGood: T | undefined;
  /** Until then, answers come from memory: after a good read, and after a failure too (one slow call per window). */
  let freshUntil = Number.NEGATIVE_INFINITY;
  let current: T | undefined;
  let inFlight: Promise<T> | undefined;

  const fallBack = (reason: string, detail: Readonly<Record<string, unknown>>): T => {
    if (lastGood) {
      options.telemetry.warn(`${reader.what} unavailable; keeping the last good ${reader.what}`, {
        reason,
        ...detail,
      });
      return lastGood;
    }
    options.telemetry.error(`${reader.what} unavailable and none read yet; reading their safe values`, {
      reason,
      ...detail,
    });
    return reader.safe();
  };

  const fetchDocument = async (): Promise<T> => {
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
    const { value, fallbacks } = reader.read(raw);
    if (fallbacks.length > 0) {
      options.telemetry.warn(
        `${reader.what} document served with unusable entries; they read as their safe values`,
        {
          fallbacks: fallbacks.join(', '),
        },
      );
    }
    lastGood = value;
    return value;
  };

  return {
    get() {
      if (current && nowMs() < freshUntil) return Promise.resolve(current);
      // Concurrent requests of one container share one loopback call.
      inFlight ??= fetchDocument()
        .then((value) => {
          current = value;
          freshUntil = nowMs() + maxAgeMs;
          return value;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
  };
};

/**
 * AppConfig feature flags (`{ flag: { enabled, ...attributes } }`), read flag by flag with the shared `readFlags`
 * (contract/flags.ts). Before the first document, every flag reads as its safe value (payments paused, test
 * mode, refunds held).
 */
export const createExtensionFlags = (options: ExtensionFlagsOptions): FlagsProvider =>
  createExtensionDocument<Flags>(options, {
    what: 'flags',
    read: (raw) => {
      const { flags, fallbacks } = readFlags(raw);
      return { value: flags, fallbacks: fallbacks.map((f) => `${f.flag} (${f.reason})`) };
    },
    safe: () => readFlags(undefined).flags,
  });

/**
 * The fraud rules profile (a freeform JSON document, validated by `fraudRulesSchema` at deployment), read rule by
 * rule with `readFraudRules`. Before the first document, every rule reads as its default: screening stays on.
 */
export const createExtensionFraudRules = (options: ExtensionFlagsOptions): FraudRulesProvider =>
  createExtensionDocument<FraudRules>(options, {
    what: 'fraud rules',
    read: (raw) => {
      const { rules, fallbacks } = readFraudRules(raw);
      return { value: rules, fallbacks: fallbacks.map((f) => `${f.rule} (${f.reason})`) };
    },
    safe: () => readFraudRules(undefined).rules,
  });
