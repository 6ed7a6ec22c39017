import { buildEnvelope } from './envelope.js';
import type { SimulatorFaults } from './faults.js';
import type {
  InvoiceStatus,
  InvoiceStore,
  IpnDelivery,
  Payer,
  SettleOutcome,
  SimInvoice,
} from './invoice-store.js';
import { encodeIpnBody, postIpn, refuseNonLoopback } from './ipn.js';

export interface SettleResult {
  status: InvoiceStatus;
  /** HTTP statuses the callback answered, one per copy sent; empty when the IPN was dropped or refused. */
  ipnStatuses: number[];
}

export interface SettlementDeps {
  store: InvoiceStore;
  faults: SimulatorFaults;
  hash: string;
  stopSignal: AbortSignal;
  log: (line: string) => void;
}

/** Settling and IPN delivery, shared by the checkout buttons, SoftPay and the programmatic API. */
export class Settlement {
  constructor(private readonly deps: SettlementDeps) {}

  /** Throws SettleError for an unknown or already settled invoice. An IPN failure never undoes the settlement. */
  async settle(token: string, outcome: SettleOutcome, payer?: Payer): Promise<SettleResult> {
    const invoice = this.deps.store.settle(token, outcome, payer);
    this.deps.log(`invoice ${token} ${outcome} (${invoice.total_amount} XOF)`);
    const { faults } = this.deps;
    if (faults.dropIpn) {
      this.#record(invoice, { outcome: 'dropped', replay: false });
      this.deps.log(`IPN for ${token} dropped (fault dropIpn)`);
      return { status: invoice.status, ipnStatuses: [] };
    }
    const ipnStatuses: number[] = [];
    // Sequential on purpose: duplicate deliveries arrive one after the other, as a retrying gateway would send them.
    for (let copy = 0; copy < Math.max(1, faults.ipnCopies); copy++) {
      const status = await this.#deliver(invoice, false);
      if (status !== undefined) ipnStatuses.push(status);
    }
    return { status: invoice.status, ipnStatuses };
  }

  /** Posts the IPN once more, as an attacker replaying a captured one would; ignores dropIpn and ipnCopies. */
  async resend(token: string): Promise<number | undefined> {
    const invoice = this.deps.store.get(token);
    if (!invoice) throw new Error(`Unknown invoice ${token}`);
    if (invoice.status === 'pending') throw new Error(`Invoice ${token} is pending: no IPN to replay`);
    return this.#deliver(invoice, true);
  }

  async #deliver(invoice: SimInvoice, replay: boolean): Promise<number | undefined> {
    const target = invoice.actions.callback_url;
    if (!target) {
      this.#record(invoice, { outcome: 'no-callback', replay });
      return undefined;
    }
    const refusal = refuseNonLoopback(target);
    if (refusal) {
      this.#record(invoice, { outcome: 'refused', replay, error: refusal });
      this.deps.log(`IPN for ${invoice.token} NOT sent: ${refusal}`);
      return undefined;
    }
    const envelope = buildEnvelope(invoice, {
      hash: this.deps.hash,
      amountDelta: this.deps.faults.ipnAmountDelta,
    });
    const result = await postIpn(target, encodeIpnBody(envelope), this.deps.stopSignal);
    if ('status' in result) {
      this.#record(invoice, { outcome: 'delivered', replay, status: result.status });
      this.deps.log(`IPN for ${invoice.token}${replay ? ' (replay)' : ''} -> HTTP ${result.status}`);
      return result.status;
    }
    this.#record(invoice, { outcome: 'error', replay, error: result.error });
    this.deps.log(`IPN for ${invoice.token}${replay ? ' (replay)' : ''} failed: ${result.error}`);
    return undefined;
  }

  #record(invoice: SimInvoice, delivery: Omit<IpnDelivery, 'at'>): void {
    invoice.ipnsSent.push({ at: new Date().toISOString(), ...delivery });
  }
}
