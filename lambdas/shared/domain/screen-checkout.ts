import { METRICS } from '../contract/metrics';
import { bestEffort } from './best-effort';
import type { AppContext } from './context';
import { phoneHash, riskHash, subjectHash } from './crypto';
import { CheckoutDeclinedError } from './errors';
import {
  type CheckoutOrigin,
  checkoutFacts,
  type RiskDecision,
  riskSignals,
  screenCheckout,
} from './fraud-screening';
import { newOrderId } from './ids';
import type { PaymentRequest } from './payment-request.schema';
import { EMPTY_RISK_DAY, type RiskHistory, type RiskKeys } from './ports-fraud';

/** Where a checkout comes from, as the edge tells it (never stored as such: only its keyed hash is). */
export interface CheckoutSource extends CheckoutOrigin {
  readonly ip: string;
}

export interface ScreenInput {
  readonly subject: string;
  readonly request: PaymentRequest;
  readonly source: CheckoutSource;
  readonly signingSecret: string;
}

/** What create-payment keeps of a screening that let the checkout through. */
export interface Screened {
  readonly keys: RiskKeys;
  readonly decision: RiskDecision;
}

/**
 * What counters that could not be read stand for: no activity, and a customer who has paid before (NO_SIGNALS in
 * fraud-screening.ts), so that a failed read neither sends a returning customer's large basket to review as a first
 * purchase nor records them as a new account on their address. Both only make screening more lenient.
 */
const NOTHING_SEEN: RiskHistory = {
  days: {
    customer: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
    phone: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
    email: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
    ip: { today: EMPTY_RISK_DAY, yesterday: EMPTY_RISK_DAY },
  },
  customerHasPaid: true,
};

/**
 * Screens a checkout before anything of it is written or anyone is called (issue 15):
 *
 * 1. reads the rules in force and the four identities' counters (one BatchGet); counters that cannot be read
 *    screen the checkout on its own facts (amount, tickets, e-mail domain, country): screening never fails a
 *    checkout, and a missed count only makes it more lenient;
 * 2. decides (`screenCheckout`, pure);
 * 3. counts this checkout on the counters, whatever the decision (a blocked caller keeps being counted);
 * 4. `block`: writes the audit record of the decision, alerts the on-call with the rule names only, and answers 403
 *    without an order, a limit share or a PayDunya call. `review` and `allow` return to the checkout.
 *
 * Crash after the count and before the answer: the customer retries; the retry is counted again, which can only
 * make screening stricter for that customer. Nothing here moves money.
 */
export const screenCheckoutRisk = async (ctx: AppContext, input: ScreenInput): Promise<Screened> => {
  const { risk, telemetry } = ctx;
  const now = ctx.clock.now();
  const keys: RiskKeys = {
    customer: subjectHash(input.signingSecret, input.subject),
    phone: phoneHash(input.signingSecret, input.request.customer_phone),
    email: riskHash(input.signingSecret, 'email', input.request.customer_email),
    ip: riskHash(input.signingSecret, 'ip', input.source.ip),
  };
  const [rules, history] = await Promise.all([
    ctx.fraudRules.get(),
    risk.read(keys, now).catch((error: unknown) => {
      telemetry.count(METRICS.fraudCountersUnread, 1);
      telemetry.warn('risk counters could not be read; screening this checkout on its own facts', {
        error: error instanceof Error ? error.name : String(error),
      });
      return NOTHING_SEEN;
    }),
  ]);
  const facts = checkoutFacts(input.request, keys, input.source);
  const decision = screenCheckout(facts, riskSignals(history, facts.eventId, now), rules);

  await bestEffort(ctx, 'risk count', () =>
    risk.recordCheckout(
      {
        keys,
        amount: input.request.amount,
        customerHasPaid: history.customerHasPaid,
        ...(facts.card ? { card: facts.card } : {}),
      },
      now,
    ),
  );
  telemetry.count(METRICS.fraudScreened, 1, { decision: decision.decision });
  if (input.source.country) telemetry.count(METRICS.checkoutCountry, 1, { country: input.source.country });
  for (const reason of decision.reasons) {
    telemetry.count(METRICS.fraudRuleFired, 1, { rule: reason.rule, decision: decision.decision });
  }
  const firedRules = decision.reasons.map((reason) => reason.rule);
  if (decision.decision === 'block') {
    const blockId = newOrderId(now);
    // Audited before answering: a 403 nobody can explain later is worse than a slow one. If the write fails the
    // checkout is still refused (the decision stands) and the log line keeps the record.
    await bestEffort(ctx, 'blocked checkout record', () =>
      risk.recordBlock({
        blockId,
        at: now.toISOString(),
        keys,
        amount: input.request.amount,
        reasons: decision.reasons,
      }),
    );
    telemetry.warn('checkout blocked by fraud screening', { blockId, rules: firedRules });
    await bestEffort(ctx, 'fraud alert', () =>
      ctx.alerts.publish({
        type: 'fraud-blocked',
        severity: 'critical',
        // The rules alone in the summary: alerts are de-duplicated by summary, so a card tester's hundred blocks
        // at a hundred amounts page once per rule set and window (the count in suppressedSinceLast), not a hundred
        // times. The amount and the record's id are in the details.
        summary: `Fraud screening blocked a checkout: ${firedRules.join(', ')}`,
        details: { blockId, rules: firedRules.join(','), amountXof: input.request.amount },
      }),
    );
    throw new CheckoutDeclinedError();
  }
  if (decision.decision === 'review') {
    telemetry.info('checkout sent to review by fraud screening', { rules: firedRules });
  }
  return { keys, decision };
};
