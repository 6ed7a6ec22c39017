import type { StoreInfo } from '../contract/store-info';
import type { PaymentMode } from './order';
import type {
  AlertPublisher,
  Clock,
  CustomerAuthenticator,
  DisbursementGateway,
  FlagsProvider,
  KeyManager,
  PaymentGateway,
  PaymentStore,
  SecretsProvider,
  Telemetry,
} from './ports';
import type { FraudRulesProvider, RiskCounters } from './ports-fraud';

/** Stage settings the use cases need; built from the environment on AWS and from local config in local mode. */
export interface PaymentsConfig {
  readonly stage: string;
  /** The stage's PayDunya mode; `live` is used only while the `live_payments` flag is on as well. */
  readonly paydunyaMode: PaymentMode;
  /** Public base of this API, from which the webhook callback URL is built. */
  readonly publicBaseUrl: string;
  readonly returnUrl: string;
  readonly cancelUrl: string;
  readonly store: StoreInfo;
  /** Payment creations allowed per customer phone per window. */
  readonly customerAttempts: { readonly max: number; readonly windowSeconds: number };
}

/** Everything a use case may touch, built once per cold start (or once per local process). */
export interface AppContext {
  readonly config: PaymentsConfig;
  readonly store: PaymentStore;
  readonly gateway: PaymentGateway;
  /** PayDunya's disbursement API: how refunds pay money back. */
  readonly disbursements: DisbursementGateway;
  readonly secrets: SecretsProvider;
  readonly flags: FlagsProvider;
  readonly alerts: AlertPublisher;
  /** Who a customer request is from (customer routes only). */
  readonly auth: CustomerAuthenticator;
  readonly keys: KeyManager;
  readonly telemetry: Telemetry;
  readonly clock: Clock;
  /** Fraud screening's rules in force (create-payment). */
  readonly fraudRules: FraudRulesProvider;
  /** Fraud screening's counters: checkouts counted at create, failures and payments where orders settle. */
  readonly risk: RiskCounters;
}

/** What the webhook use case needs: no flags, no key manager, no checkout settings. */
export type IpnDeps = Pick<
  AppContext,
  'store' | 'telemetry' | 'clock' | 'gateway' | 'secrets' | 'alerts' | 'risk'
>;

/** Settling a refund PayDunya has been asked to pay: check-status and the order write, nothing else. */
export type RefundSettleDeps = Pick<
  AppContext,
  'store' | 'telemetry' | 'clock' | 'alerts' | 'secrets' | 'disbursements'
>;

/** Everything a refund needs from request to payout: the flags (kill switch, cap) and the key to the phone. */
export type RefundDeps = RefundSettleDeps &
  Pick<AppContext, 'flags' | 'keys'> & { readonly config: Pick<PaymentsConfig, 'publicBaseUrl'> };
