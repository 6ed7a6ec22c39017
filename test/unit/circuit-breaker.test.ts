import { describe, expect, it } from 'vitest';
import { METRICS } from '../../lambdas/shared/contract/metrics';
import { GatewayError } from '../../lambdas/shared/domain/errors';
import type { Alert } from '../../lambdas/shared/domain/ports';
import {
  CircuitBreaker,
  type CircuitBreakerSettings,
  createPaydunyaCircuit,
  DEFAULT_CIRCUIT_BREAKER,
  type Transition,
} from '../../lambdas/shared/platform/circuit-breaker';
import { RecordingTelemetry } from '../support/recording-telemetry';

const SETTINGS: CircuitBreakerSettings = {
  consecutiveFailures: 3,
  failureRate: 0.5,
  minimumCalls: 6,
  windowMs: 10_000,
  coolDownMs: 5_000,
};

const setup = (settings: Partial<CircuitBreakerSettings> = SETTINGS) => {
  const clock = { t: 1_000_000 };
  const transitions: Transition[] = [];
  const breaker = new CircuitBreaker(
    settings,
    () => clock.t,
    (t) => transitions.push(t),
  );
  const call = (outcome: 'success' | 'failure') => {
    const permit = breaker.acquire();
    if (!permit) return 'refused';
    breaker.record(permit, outcome);
    return outcome;
  };
  return { clock, transitions, breaker, call };
};

describe('circuit breaker state machine', () => {
  it('opens after N failures in a row, and then refuses calls', () => {
    const { breaker, call, transitions } = setup();
    call('failure');
    call('failure');
    expect(breaker.state()).toBe('closed');
    call('failure');
    expect(breaker.state()).toBe('open');
    expect(breaker.acquire()).toBeUndefined();
    expect(transitions).toEqual([{ from: 'closed', to: 'open', reason: '3 failures in a row' }]);
  });

  it('a success in between resets the count of failures in a row', () => {
    const { breaker, call } = setup({ ...SETTINGS, minimumCalls: 100 });
    for (let i = 0; i < 10; i++) {
      call('failure');
      call('failure');
      call('success');
    }
    expect(breaker.state()).toBe('closed');
  });

  it('opens on the failure rate over the window even without N failures in a row', () => {
    const { breaker, call, transitions } = setup();
    // Failures and successes alternate: never 3 in a row, but 4 of 7 in the end.
    for (let i = 0; i < 2; i++) {
      call('failure');
      call('success');
    }
    call('failure');
    expect(breaker.state()).toBe('closed'); // 3 of 5: under minimumCalls
    call('success');
    expect(breaker.state()).toBe('closed'); // the rate is checked when a failure is recorded
    call('failure');
    expect(breaker.state()).toBe('open');
    expect(transitions.at(-1)?.reason).toBe('4 of 7 calls failed in 10 s');
  });

  it('forgets failures older than the window', () => {
    const { breaker, call, clock } = setup();
    for (let i = 0; i < 3; i++) {
      call('failure');
      call('success');
    }
    // The window is kept in 10 slices: a slice is forgotten once all of it is older than the window.
    clock.t += SETTINGS.windowMs + SETTINGS.windowMs / 10;
    // 3 old failures forgotten: 1 failure in 2 calls would be 50 % but is under minimumCalls.
    call('failure');
    call('success');
    expect(breaker.state()).toBe('closed');
  });

  it('after the cool-down lets exactly one probe through (half-open)', () => {
    const { breaker, call, clock } = setup();
    for (let i = 0; i < 3; i++) call('failure');
    clock.t += SETTINGS.coolDownMs - 1;
    expect(breaker.acquire()).toBeUndefined();
    clock.t += 1;
    expect(breaker.state()).toBe('half-open');
    expect(breaker.availability()).toEqual({ available: true });
    const probe = breaker.acquire();
    expect(probe).toEqual({ probe: true });
    // While the probe is in flight, everyone else is refused and told to come back soon.
    expect(breaker.acquire()).toBeUndefined();
    expect(breaker.availability()).toEqual({ available: false, retryAfterSeconds: 5 });
  });

  it('a successful probe closes the circuit with a clean slate', () => {
    const { breaker, call, clock, transitions } = setup();
    for (let i = 0; i < 3; i++) call('failure');
    clock.t += SETTINGS.coolDownMs;
    const probe = breaker.acquire();
    if (!probe) throw new Error('expected a probe');
    breaker.record(probe, 'success');
    expect(breaker.state()).toBe('closed');
    expect(transitions.map((t) => t.to)).toEqual(['open', 'half-open', 'closed']);
    // The failures before the outage do not count any more.
    call('failure');
    call('failure');
    expect(breaker.state()).toBe('closed');
  });

  it('a failed probe re-opens it for a full cool-down', () => {
    const { breaker, call, clock } = setup();
    for (let i = 0; i < 3; i++) call('failure');
    clock.t += SETTINGS.coolDownMs;
    const probe = breaker.acquire();
    if (!probe) throw new Error('expected a probe');
    breaker.record(probe, 'failure');
    expect(breaker.state()).toBe('open');
    expect(breaker.availability()).toEqual({ available: false, retryAfterSeconds: 5 });
    clock.t += SETTINGS.coolDownMs - 1;
    expect(breaker.state()).toBe('open');
    clock.t += 1;
    expect(breaker.state()).toBe('half-open');
  });

  it('tells how long is left of the cool-down, rounded up, never 0', () => {
    const { breaker, call, clock } = setup();
    for (let i = 0; i < 3; i++) call('failure');
    expect(breaker.availability()).toEqual({ available: false, retryAfterSeconds: 5 });
    clock.t += 3_500;
    expect(breaker.availability()).toEqual({ available: false, retryAfterSeconds: 2 });
    clock.t += 1_499;
    expect(breaker.availability()).toEqual({ available: false, retryAfterSeconds: 1 });
  });

  it('late results of calls started before it opened change nothing', () => {
    const { breaker, call } = setup();
    const early = breaker.acquire();
    if (!early) throw new Error('expected a permit');
    for (let i = 0; i < 3; i++) call('failure');
    breaker.record(early, 'success');
    expect(breaker.state()).toBe('open');
  });

  it('defaults: 5 in a row, or half of at least 10 calls in 60 s; 30 s cool-down', () => {
    expect(DEFAULT_CIRCUIT_BREAKER).toEqual({
      consecutiveFailures: 5,
      failureRate: 0.5,
      minimumCalls: 10,
      windowMs: 60_000,
      coolDownMs: 30_000,
    });
  });
});

describe('PayDunya circuit (breaker + reporting)', () => {
  const unavailable = () => Promise.reject(new GatewayError('unavailable', 'PayDunya create: HTTP 500'));
  const refused = () => Promise.reject(new GatewayError('refused', 'PayDunya create: response_code 1001'));

  const setupCircuit = (publish: (alert: Alert) => Promise<void> = async () => undefined) => {
    const clock = { t: 0 };
    const telemetry = new RecordingTelemetry();
    const alerts: Alert[] = [];
    const circuit = createPaydunyaCircuit({
      telemetry,
      alerts: {
        publish: async (alert) => {
          alerts.push(alert);
          await publish(alert);
        },
      },
      settings: SETTINGS,
      now: () => clock.t,
    });
    return { clock, telemetry, alerts, circuit };
  };

  it('opening counts CircuitOpen, reports the state metric and raises one critical alert', async () => {
    const { circuit, telemetry, alerts } = setupCircuit();
    for (let i = 0; i < 3; i++) await expect(circuit.run(unavailable)).rejects.toThrow('HTTP 500');
    expect(circuit.state()).toBe('open');
    expect(telemetry.counted(METRICS.circuitOpen)).toBe(1);
    expect(telemetry.measures.filter((m) => m.name === METRICS.circuitState).at(-1)?.value).toBe(2);
    expect(alerts).toEqual([
      expect.objectContaining({
        type: 'circuit-open',
        severity: 'critical',
        summary: expect.stringContaining('3 failures in a row'),
      }),
    ]);
  });

  it('while open, refuses without calling, with an unavailable GatewayError', async () => {
    const { circuit } = setupCircuit();
    for (let i = 0; i < 3; i++) await circuit.run(unavailable).catch(() => undefined);
    let called = false;
    const refusal = circuit.run(async () => {
      called = true;
      return 'answer';
    });
    await expect(refusal).rejects.toMatchObject({ name: 'GatewayError', kind: 'unavailable' });
    await expect(refusal).rejects.toThrow('circuit breaker is open');
    expect(called).toBe(false);
    expect(circuit.availability()).toEqual({ available: false, retryAfterSeconds: 5 });
  });

  it('a PayDunya refusal is an answer, not an outage: it never opens the circuit', async () => {
    const { circuit, telemetry } = setupCircuit();
    for (let i = 0; i < 10; i++) await expect(circuit.run(refused)).rejects.toThrow('1001');
    expect(circuit.state()).toBe('closed');
    expect(telemetry.counted(METRICS.circuitOpen)).toBe(0);
  });

  it('recovers through a successful probe after the cool-down, and says so in the state metric', async () => {
    const { circuit, clock, telemetry } = setupCircuit();
    for (let i = 0; i < 3; i++) await circuit.run(unavailable).catch(() => undefined);
    clock.t += SETTINGS.coolDownMs;
    expect(await circuit.run(async () => 'ok')).toBe('ok');
    expect(circuit.state()).toBe('closed');
    const states = telemetry.measures.filter((m) => m.name === METRICS.circuitState).map((m) => m.value);
    expect(states).toContain(1);
    expect(states.at(-1)).toBe(0);
  });

  it('an alert that cannot be published does not hide the gateway error nor stop the breaker', async () => {
    const { circuit, telemetry } = setupCircuit(async () => {
      throw new Error('SNS down too');
    });
    for (let i = 0; i < 3; i++) await expect(circuit.run(unavailable)).rejects.toThrow('HTTP 500');
    expect(circuit.state()).toBe('open');
    expect(telemetry.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'could not publish the circuit-open alert' }),
    );
  });
});
