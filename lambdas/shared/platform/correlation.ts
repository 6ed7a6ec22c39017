import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids that tie the log lines of one request together: API request id, PayDunya invoice token, order id. */
export interface CorrelationKeys {
  requestId?: string;
  token?: string;
  orderId?: string;
}

const CORRELATION_KEYS = ['requestId', 'token', 'orderId'] as const;

interface Scope {
  readonly keys: CorrelationKeys;
  /** The request's own personal data (the customer's name, e-mail, phone): redacted from its lines verbatim. */
  readonly sensitive: Set<string>;
}

const scope = new AsyncLocalStorage<Scope>();

/**
 * Runs one request in its own correlation scope: every log line written while it runs (through the redacting
 * formatter) carries these keys, and the ids learned on the way (`noteCorrelation`) join them. Concurrent
 * requests (local mode serves several at once) each have their own scope.
 */
export const withCorrelation = <T>(keys: CorrelationKeys, fn: () => T): T =>
  scope.run({ keys: { ...keys }, sensitive: new Set() }, fn);

/**
 * Records ids found in a log line's attributes (or by a handler) in the current request's scope, so the lines
 * that follow carry them too. Outside a request scope (scheduled batches, which touch many orders) it does
 * nothing: a batch must not stamp one order's id on the next order's lines.
 */
export const noteCorrelation = (attributes: Readonly<Record<string, unknown>> | undefined): void => {
  const current = scope.getStore()?.keys;
  if (!current || !attributes) return;
  for (const key of CORRELATION_KEYS) {
    const value = attributes[key];
    if (typeof value === 'string' && value.length > 0 && value.length <= 200 && current[key] === undefined) {
      current[key] = value;
    }
  }
};

/** The current request's correlation keys (empty outside a request). */
export const correlationKeys = (): CorrelationKeys => {
  const current = scope.getStore()?.keys;
  if (!current) return {};
  const keys: CorrelationKeys = {};
  for (const key of CORRELATION_KEYS) if (current[key] !== undefined) keys[key] = current[key];
  return keys;
};

/** Shortest name part redacted on its own: shorter ones are too likely to be part of ordinary words. */
const MIN_NAME_PART = 4;

/**
 * Marks the current request's personal data (as the customer sent it) for redaction from every line the request
 * writes, in whatever text it turns up: a name has no pattern a redactor could recognise, so it is matched
 * verbatim (the full name and each part of it), for this request only.
 */
export const noteSensitive = (values: readonly (string | undefined)[]): void => {
  const current = scope.getStore();
  if (!current) return;
  for (const value of values) {
    const trimmed = value?.trim();
    if (!trimmed) continue;
    current.sensitive.add(trimmed);
    for (const part of trimmed.split(/\s+/)) if (part.length >= MIN_NAME_PART) current.sensitive.add(part);
  }
};

/** The current request's personal data, for the log formatter. */
export const sensitiveValues = (): ReadonlySet<string> => scope.getStore()?.sensitive ?? new Set();
