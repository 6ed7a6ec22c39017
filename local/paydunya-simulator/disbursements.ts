import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatorFaults } from './faults.js';
import { type Mode, paydunyaDate, randomAlphanumeric } from './invoice-store.js';
import { postCallback, refuseNonLoopback } from './ipn.js';

/** PayDunya's disbursement statuses (API.md §6), lower-case as they arrive in practice. */
export type DisbursementStatus = 'created' | 'pending' | 'success' | 'failed';

/** What happened to one disbursement callback; kept on the disbursement so tests can assert on deliveries. */
export interface DisburseCallbackDelivery {
  at: string;
  /** The status the callback reported. */
  status: DisbursementStatus;
  outcome: 'delivered' | 'error' | 'refused';
  httpStatus?: number;
  error?: string;
}

/** One disbursement (PUSH) request, from get-invoice on. */
export interface SimDisbursement {
  disburse_token: string;
  /** The merchant's own reference, as given to get-invoice (null when none was). */
  disburse_id: string | null;
  account_alias: string;
  amount: number;
  withdraw_mode: string;
  status: DisbursementStatus;
  /** Submits accepted for this token: more than 1 means it was paid out more than once. */
  submits: number;
  /** XOF paid out by the accepted submits, minus those that ended `failed`. */
  paidOutXof: number;
  mode: Mode;
  callback_url: string;
  createdAt: string;
  /** PayDunya's `YYYY-MM-DD HH:mm:ss`, as check-status and the callback report it. */
  updated_at: string;
  /** Of the latest accepted submit; null until one is. */
  transaction_id: string | null;
  disburse_tx_id: string | null;
  callbacksSent: DisburseCallbackDelivery[];
}

export interface DisbursementInput {
  account_alias: string;
  amount: number;
  withdraw_mode: string;
  callback_url: string;
  disburse_id: string | null;
}

/** API calls about disbursements received, counted before any fault. */
export interface DisbursementCalls {
  create: number;
  submit: number;
  check: number;
}

export interface DisbursementDeps {
  faults: SimulatorFaults;
  /** sha512 hex of the master key, sent as `hash` in every callback. */
  hash: string;
  stopSignal: AbortSignal;
  log: (line: string) => void;
}

/** Short: a callback is a notification, and a slow receiver must not hold a test (or stop()) up. */
export const DISBURSE_CALLBACK_TIMEOUT_MS = 5_000;

/**
 * The disbursements and their payouts. Each accepted submit pays out again, even for a token already submitted:
 * PayDunya documents no protection against a second submit, so the simulator models the worst case and a backend
 * that double-submits shows up as `submits: 2` and twice the amount in `paidOutXof`.
 */
export class Disbursements {
  readonly #byToken = new Map<string, SimDisbursement>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: DisbursementDeps) {}

  create(mode: Mode, input: DisbursementInput, now = new Date()): SimDisbursement {
    const disbursement: SimDisbursement = {
      disburse_token: this.#newToken(mode),
      disburse_id: input.disburse_id,
      account_alias: input.account_alias,
      amount: input.amount,
      withdraw_mode: input.withdraw_mode,
      status: 'created',
      submits: 0,
      paidOutXof: 0,
      mode,
      callback_url: input.callback_url,
      createdAt: now.toISOString(),
      updated_at: paydunyaDate(now),
      transaction_id: null,
      disburse_tx_id: null,
      callbacksSent: [],
    };
    this.#byToken.set(disbursement.disburse_token, disbursement);
    return disbursement;
  }

  /** Tokens are per mode, like invoices: a sandbox token looked up on the live side is not found. */
  get(token: string, mode?: Mode): SimDisbursement | undefined {
    const found = this.#byToken.get(token);
    return found && (mode === undefined || found.mode === mode) ? found : undefined;
  }

  /** Copies, oldest first. */
  list(): SimDisbursement[] {
    return [...this.#byToken.values()].map((d) => structuredClone(d));
  }

  /**
   * Carries out one accepted submit: counted, paid out, `pending`; it ends `success` (or `failed`, fault
   * `disburseFail`) after `disburseDelayMs`, and then its callback is posted.
   */
  submit(disbursement: SimDisbursement, now = new Date()): SimDisbursement {
    const { faults } = this.deps;
    const outcome: DisbursementStatus = faults.disburseFail ? 'failed' : 'success';
    faults.disburseFail = false;
    disbursement.submits += 1;
    disbursement.paidOutXof += disbursement.amount;
    disbursement.status = 'pending';
    disbursement.updated_at = paydunyaDate(now);
    disbursement.transaction_id = `DT${randomInt(100_000_000, 1_000_000_000)}`;
    const prefix = disbursement.withdraw_mode.startsWith('moov') ? 'MV' : 'OM';
    disbursement.disburse_tx_id = `${prefix}${randomAlphanumeric(10).toUpperCase()}`;
    this.deps.log(
      `disbursement ${disbursement.disburse_token} submitted (#${disbursement.submits}): ` +
        `${disbursement.amount} XOF to ${disbursement.withdraw_mode}, ends ${outcome}`,
    );
    const done = this.#finish(disbursement, outcome, faults.disburseDelayMs).catch((err: unknown) => {
      this.deps.log(
        `disbursement ${disbursement.disburse_token}: ${err instanceof Error ? err.message : err}`,
      );
    });
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
    return disbursement;
  }

  /** Resolves once every submitted disbursement has ended and its callback was attempted. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #finish(disbursement: SimDisbursement, outcome: DisbursementStatus, delayMs: number): Promise<void> {
    try {
      // Rejects when the simulator stops, so a pending payout never holds stop() up.
      await sleep(delayMs, undefined, { signal: this.deps.stopSignal });
    } catch {
      return;
    }
    disbursement.status = outcome;
    disbursement.updated_at = paydunyaDate(new Date());
    if (outcome === 'failed') disbursement.paidOutXof -= disbursement.amount;
    this.deps.log(`disbursement ${disbursement.disburse_token} ${outcome}`);
    await this.#deliver(disbursement);
  }

  async #deliver(disbursement: SimDisbursement): Promise<void> {
    const { status } = disbursement;
    const at = () => new Date().toISOString();
    const refusal = refuseNonLoopback(disbursement.callback_url);
    if (refusal) {
      disbursement.callbacksSent.push({ at: at(), status, outcome: 'refused', error: refusal });
      this.deps.log(`disburse callback for ${disbursement.disburse_token} NOT sent: ${refusal}`);
      return;
    }
    const body = JSON.stringify({
      token: disbursement.disburse_token,
      amount: disbursement.amount,
      status,
      updated_at: disbursement.updated_at,
      withdraw_mode: disbursement.withdraw_mode,
      disburse_tx_id: disbursement.disburse_tx_id,
      transaction_id: disbursement.transaction_id,
      hash: this.deps.hash,
    });
    const result = await postCallback(
      disbursement.callback_url,
      'application/json',
      body,
      DISBURSE_CALLBACK_TIMEOUT_MS,
      this.deps.stopSignal,
    );
    if ('status' in result) {
      disbursement.callbacksSent.push({ at: at(), status, outcome: 'delivered', httpStatus: result.status });
      this.deps.log(`disburse callback for ${disbursement.disburse_token} -> HTTP ${result.status}`);
      return;
    }
    disbursement.callbacksSent.push({ at: at(), status, outcome: 'error', error: result.error });
    this.deps.log(`disburse callback for ${disbursement.disburse_token} failed: ${result.error}`);
  }

  #newToken(mode: Mode): string {
    for (;;) {
      const token = mode === 'test' ? `test_d${randomAlphanumeric(12)}` : `D${randomAlphanumeric(19)}`;
      if (!this.#byToken.has(token)) return token;
    }
  }
}
