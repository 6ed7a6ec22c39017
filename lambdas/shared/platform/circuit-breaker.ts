import { METRICS } from '../contract/metrics';
import { GatewayError } from '../domain/errors';
import type { AlertPublisher, GatewayAvailability, Telemetry } from '../domain/ports';

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerSettings {
  /** Opens after this many failed calls in a row... */
  readonly consecutiveFailures: number;
  /** ...or when, over the last `windowMs`, at least `minimumCalls` calls were made and this share of them failed. */
  readonly failureRate: number;
  readonly minimumCalls: number;
  readonly windowMs: number;
  /** How long it stays open before one probe call is let through (half-open). */
  readonly coolDownMs: number;
}

/**
 * Tuned for PayDunya from one warm Lambda container (docs/resilience-notes.md):
 * - 5 failures in a row: a create or confirm that times out costs a customer 8 s; five of them is the most a
 *   container lets through before it stops asking. A confirm makes up to 3 attempts, so two failing IPNs open it;
 * - or half of at least 10 calls within 60 s: an intermittent outage that lets one call in two through never
 *   makes five failures in a row, yet fails half of the payments;
 * - 30 s cool-down, then one probe: the Retry-After customers are given, short enough that a recovered PayDunya
 *   is used again within half a minute, long enough not to hammer it while it restarts.
 */
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerSettings = {
  consecutiveFailures: 5,
  failureRate: 0.5,
  minimumCalls: 10,
  windowMs: 60_000,
  coolDownMs: 30_000,
};

/** What the CircuitState metric reports: 0 closed, 1 half-open, 2 open (its maximum over a period is the worst). */
export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

/** Seconds a caller is told to wait while the single half-open probe is in flight. */
const PROBE_RETRY_AFTER_SECONDS = 5;
const BUCKETS = 10;

export interface Permit {
  /** The one call let through in half-open: its outcome closes or re-opens the circuit. */
  readonly probe: boolean;
}

export interface Transition {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: string;
}

/**
 * The breaker's state machine, with no I/O: closed → open (too many failures) → half-open (cool-down over) →
 * closed (the probe succeeded) or open again (it failed). One per warm instance; not shared between containers.
 */
export class CircuitBreaker {
  readonly settings: CircuitBreakerSettings;
  #state: CircuitState = 'closed';
  #consecutive = 0;
  #openedAt = 0;
  #probeInFlight = false;
  /** Rolling window in BUCKETS slices: [slice start, calls, failures]. */
  #buckets: { start: number; calls: number; failures: number }[] = [];

  constructor(
    settings: Partial<CircuitBreakerSettings> = {},
    private readonly now: () => number = Date.now,
    private readonly onTransition: (transition: Transition) => void = () => undefined,
  ) {
    this.settings = { ...DEFAULT_CIRCUIT_BREAKER, ...settings };
  }

  /** The current state; an open circuit whose cool-down is over reads (and becomes) half-open. */
  state(): CircuitState {
    if (this.#state === 'open' && this.now() - this.#openedAt >= this.settings.coolDownMs) {
      this.#move('half-open', 'cool-down over: the next call is a probe');
    }
    return this.#state;
  }

  /** Whether a call would be let through now, without taking the probe slot. */
  availability(): GatewayAvailability {
    const state = this.state();
    if (state === 'closed' || (state === 'half-open' && !this.#probeInFlight)) return { available: true };
    if (state === 'half-open') return { available: false, retryAfterSeconds: PROBE_RETRY_AFTER_SECONDS };
    const left = this.#openedAt + this.settings.coolDownMs - this.now();
    return { available: false, retryAfterSeconds: Math.max(1, Math.ceil(left / 1000)) };
  }

  /** Asks to make a call: a permit, or undefined when the circuit refuses it. */
  acquire(): Permit | undefined {
    const state = this.state();
    if (state === 'closed') return { probe: false };
    if (state === 'half-open' && !this.#probeInFlight) {
      this.#probeInFlight = true;
      return { probe: true };
    }
    return undefined;
  }

  /** Records how a permitted call ended. Late results of calls started before the circuit opened change nothing. */
  record(permit: Permit, outcome: 'success' | 'failure'): void {
    if (permit.probe) {
      this.#probeInFlight = false;
      if (outcome === 'success') {
        this.#reset();
        this.#move('closed', 'the probe call succeeded');
      } else {
        this.#open('the probe call failed');
      }
      return;
    }
    if (this.#state !== 'closed') return;
    const bucket = this.#bucket();
    bucket.calls++;
    if (outcome === 'success') {
      this.#consecutive = 0;
      return;
    }
    bucket.failures++;
    this.#consecutive++;
    const { calls, failures } = this.#window();
    if (this.#consecutive >= this.settings.consecutiveFailures) {
      this.#open(`${this.#consecutive} failures in a row`);
    } else if (calls >= this.settings.minimumCalls && failures / calls >= this.settings.failureRate) {
      this.#open(`${failures} of ${calls} calls failed in ${Math.round(this.settings.windowMs / 1000)} s`);
    }
  }

  #open(reason: string): void {
    this.#openedAt = this.now();
    this.#reset();
    this.#move('open', reason);
  }

  #reset(): void {
    this.#consecutive = 0;
    this.#buckets = [];
  }

  #move(to: CircuitState, reason: string): void {
    const from = this.#state;
    this.#state = to;
    this.onTransition({ from, to, reason });
  }

  #bucket() {
    const width = this.settings.windowMs / BUCKETS;
    const start = Math.floor(this.now() / width) * width;
    this.#prune();
    const last = this.#buckets.at(-1);
    if (last && last.start === start) return last;
    const bucket = { start, calls: 0, failures: 0 };
    this.#buckets.push(bucket);
    return bucket;
  }

  #prune(): void {
    const oldest = this.now() - this.settings.windowMs;
    const width = this.settings.windowMs / BUCKETS;
    this.#buckets = this.#buckets.filter((bucket) => bucket.start + width > oldest);
  }

  #window(): { calls: number; failures: number } {
    this.#prune();
    return this.#buckets.reduce(
      (sum, bucket) => ({ calls: sum.calls + bucket.calls, failures: sum.failures + bucket.failures }),
      { calls: 0, failures: 0 },
    );
  }
}

/** What the PayDunya client asks of a guard: run a call under it, and say whether calls go through now. */
export interface CallGuard {
  run<T>(call: () => Promise<T>): Promise<T>;
  availability(): GatewayAvailability;
}

export interface PaydunyaCircuit extends CallGuard {
  state(): CircuitState;
  readonly settings: CircuitBreakerSettings;
}

export interface PaydunyaCircuitDeps {
  readonly telemetry: Telemetry;
  readonly alerts: AlertPublisher;
  readonly settings?: Partial<CircuitBreakerSettings>;
  readonly now?: () => number;
}

/**
 * The circuit breaker around PayDunya calls, reporting through the ports: the `CircuitState` metric on every call
 * and transition, `CircuitOpen` counted and a critical alert when it opens. A call that PayDunya answered, even
 * with a refusal, is a success here: only "unreachable, timed out, 5xx, unreadable" (`unavailable`) is a failure.
 * While open, calls are refused at once with an `unavailable` GatewayError, so callers keep their usual paths.
 */
export const createPaydunyaCircuit = (deps: PaydunyaCircuitDeps): PaydunyaCircuit => {
  const { telemetry, alerts } = deps;
  const gauge = (state: CircuitState) =>
    telemetry.measure(METRICS.circuitState, CIRCUIT_STATE_VALUE[state], 'None');
  let opened: Transition | undefined;
  const breaker = new CircuitBreaker(deps.settings, deps.now, (transition) => {
    gauge(transition.to);
    const attributes = { from: transition.from, to: transition.to, reason: transition.reason };
    if (transition.to === 'open') {
      telemetry.count(METRICS.circuitOpen);
      telemetry.error('PayDunya circuit breaker opened', attributes);
      opened = transition;
    } else {
      telemetry.info(`PayDunya circuit breaker ${transition.to}`, attributes);
    }
  });

  const announceOpening = async () => {
    const transition = opened;
    opened = undefined;
    if (!transition) return;
    try {
      await alerts.publish({
        type: 'circuit-open',
        severity: 'critical',
        summary: `PayDunya circuit breaker opened (${transition.reason}): new payments get 503 for ${Math.round(breaker.settings.coolDownMs / 1000)} s, then one probe call is tried`,
        details: {
          reason: transition.reason,
          coolDownSeconds: Math.round(breaker.settings.coolDownMs / 1000),
        },
      });
    } catch (error) {
      // The breaker must work even when alerting does not; the metric still carries the news.
      telemetry.error('could not publish the circuit-open alert', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };

  return {
    settings: breaker.settings,
    state: () => breaker.state(),
    availability: () => breaker.availability(),
    async run(call) {
      const permit = breaker.acquire();
      gauge(breaker.state());
      if (!permit) {
        const availability = breaker.availability();
        const wait = availability.available ? 1 : availability.retryAfterSeconds;
        throw new GatewayError(
          'unavailable',
          `PayDunya not called: the circuit breaker is open (next try in ${wait} s)`,
        );
      }
      try {
        const result = await call();
        breaker.record(permit, 'success');
        return result;
      } catch (error) {
        const failed = error instanceof GatewayError && error.kind === 'unavailable';
        breaker.record(permit, failed ? 'failure' : 'success');
        await announceOpening();
        throw error;
      }
    },
  };
};
