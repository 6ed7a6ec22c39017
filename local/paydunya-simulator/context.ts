import type { DisbursementCalls, Disbursements } from './disbursements.js';
import type { SimulatorFaults } from './faults.js';
import type { InvoiceStore, Mode } from './invoice-store.js';
import type { Settlement } from './settlement.js';

export interface ModeKeys {
  privateKey: string;
  token: string;
}

/** Everything a route handler needs; one per running simulator. */
export interface SimContext {
  masterKey: string;
  keys: Partial<Record<Mode, ModeKeys>>;
  /** sha512 hex of the master key, sent as `hash` in every confirm answer and IPN. */
  hash: string;
  publicBaseUrl: string;
  store: InvoiceStore;
  faults: SimulatorFaults;
  settlement: Settlement;
  stopSignal: AbortSignal;
  log: (line: string) => void;
  /** API calls received, counted before any fault (a `down` simulator still counts what reached it). */
  calls: ApiCalls;
  disbursements: Disbursements;
  /** Disbursement API calls received, counted like `calls`. */
  disburseCalls: DisbursementCalls;
}

export interface ApiCalls {
  create: number;
  confirm: number;
}
