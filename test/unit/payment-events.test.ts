import { describe, expect, it } from 'vitest';
import { detailSchemaFor } from '../../lambdas/shared/contract/events';
import type { AuditEvent, Order, Refund } from '../../lambdas/shared/domain/order';
import { eventsOfChange } from '../../lambdas/shared/domain/payment-events';
import { groupOf } from '../../lambdas/shared/store/keys';

type Stored = Omit<AuditEvent, 'orderId'>;

const order = (overrides: Partial<Order> = {}, audit: Stored[] = []) => ({
  entity: 'order',
  orderId: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
  status: 'PENDING',
  version: audit.length || 1,
  amount: 15_000,
  currency: 'XOF',
  items: [{ name: 'Pass', quantity: 1, unit_price: 15_000 }],
  mode: 'test',
  customer: { email: 'a***@example.bf', phone: '+226****3456' },
  customerEncrypted: { v: 1, keyId: 'k', encryptedKey: 'x', iv: 'x', tag: 'x', ciphertext: 'x' },
  phoneHash: 'hash',
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  audit,
  ...overrides,
});

const event = (id: string, from: Stored['from'], to: Stored['to'], extra: Partial<Stored> = {}): Stored => ({
  id,
  version: 1,
  at: '2026-12-02T10:05:00.000Z',
  actor: 'webhook',
  from,
  to,
  reason: 'x',
  ...extra,
});

const created = event('e1', null, 'CREATED');
const pending = event('e2', 'CREATED', 'PENDING');

describe('payment events derived from a committed order write', () => {
  it('a new order (INSERT) and the move to PENDING publish nothing', () => {
    expect(eventsOfChange(undefined, order({ status: 'CREATED' }, [created]))).toEqual([]);
    expect(eventsOfChange(order({}, [created]), order({}, [created, pending]))).toEqual([]);
  });

  it.each([
    ['COMPLETED', 'payment.completed'],
    ['FAILED', 'payment.failed'],
    ['CANCELLED', 'payment.cancelled'],
    ['EXPIRED', 'payment.expired'],
  ] as const)('PENDING → %s publishes %s, once, keyed by the audit event id', (status, type) => {
    const before = order({}, [created, pending]);
    const settled = event('e3', 'PENDING', status);
    const after = order({ status, paymentMethod: 'orange-money-burkina' }, [created, pending, settled]);
    const events = eventsOfChange(before, after);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ 'detail-type': type, detail: { eventId: 'e3', status } });
    expect(detailSchemaFor(type).parse(events[0]?.detail)).toBeTruthy();
    // The same record delivered again gives the same event.
    expect(eventsOfChange(before, after)).toEqual(events);
  });

  it('an audited event that does not change the status (a discrepancy, a review decision) publishes nothing', () => {
    const before = order({ status: 'COMPLETED' }, [created, pending, event('e3', 'PENDING', 'COMPLETED')]);
    const after = order({ status: 'COMPLETED' }, [
      ...(before.audit as Stored[]),
      event('e4', 'COMPLETED', 'COMPLETED'),
    ]);
    expect(eventsOfChange(before, after)).toEqual([]);
  });

  it('a late payment says late: true; an order held for review says held: true', () => {
    const expired = order({ status: 'EXPIRED' }, [created, pending, event('e3', 'PENDING', 'EXPIRED')]);
    const late = order(
      { status: 'COMPLETED', late: true, review: { status: 'PENDING', thresholdXof: 10_000 } },
      [...(expired.audit as Stored[]), event('e4', 'EXPIRED', 'COMPLETED')],
    );
    expect(eventsOfChange(expired, late)[0]?.detail).toMatchObject({ late: true, held: true });
  });

  it.each([
    ['SUCCEEDED', 'refund.succeeded'],
    ['FAILED', 'refund.failed'],
    ['MANUAL', 'refund.manual_required'],
  ] as const)(
    'a refund ending %s publishes %s with its amounts; REQUESTED and SUBMITTED publish nothing',
    (to, type) => {
      const refund: Refund = {
        refundId: 'RF01ARZ3NDEKTSV4RRFFQ69G5FAV',
        status: to,
        amount: 5_000,
        reason: 'Awa asked by phone +22670123456',
        trigger: 'request',
        requestedBy: 'ops',
        requestedAt: '2026-12-02T11:00:00.000Z',
        updatedAt: '2026-12-02T11:01:00.000Z',
        ...(to === 'MANUAL' ? { outcome: 'card', outcomeCode: 'card_payment' as const } : {}),
      };
      const paid = order({ status: 'COMPLETED' }, [created, pending, event('e3', 'PENDING', 'COMPLETED')]);
      const requested = order(
        { status: 'COMPLETED', refunds: { [refund.refundId]: { ...refund, status: 'REQUESTED' } } },
        [
          ...(paid.audit as Stored[]),
          event('e4', 'COMPLETED', 'COMPLETED', {
            refund: { refundId: refund.refundId, from: null, to: 'REQUESTED' },
          }),
        ],
      );
      expect(eventsOfChange(paid, requested)).toEqual([]);
      const ended = order(
        {
          status: 'COMPLETED',
          refunds: { [refund.refundId]: refund },
          refundedAmount: to === 'SUCCEEDED' ? 5_000 : 0,
        },
        [
          ...(requested.audit as Stored[]),
          event('e5', 'COMPLETED', 'COMPLETED', {
            refund: { refundId: refund.refundId, from: 'SUBMITTED', to },
          }),
        ],
      );
      const [published] = eventsOfChange(requested, ended);
      expect(published).toMatchObject({
        'detail-type': type,
        detail: { refundId: refund.refundId, refundAmount: 5_000, trigger: 'request' },
      });
      expect(detailSchemaFor(type).parse(published?.detail)).toBeTruthy();
      // The free-text reason (which may hold contact data) never leaves: only codes do.
      expect(JSON.stringify(published)).not.toContain('22670123456');
    },
  );

  it('never copies contact data, masked or encrypted, into an event', () => {
    const before = order({}, [created, pending]);
    const after = order({ status: 'COMPLETED' }, [created, pending, event('e3', 'PENDING', 'COMPLETED')]);
    const text = JSON.stringify(eventsOfChange(before, after));
    for (const needle of ['customer', 'example.bf', '3456', 'phoneHash', 'ciphertext', 'items']) {
      expect(text).not.toContain(needle);
    }
  });

  it('an item that is not an order publishes nothing', () => {
    expect(eventsOfChange(undefined, { entity: 'report', day: '2026-12-01' })).toEqual([]);
  });
});

describe('the byStatus group an order waits in', () => {
  const refund = (status: Refund['status']) => ({ RF1: { status } as Refund });
  it.each([
    [{ status: 'PENDING' }, 'OPEN'],
    [{ status: 'EXPIRED' }, 'UNPAID'],
    [{ status: 'COMPLETED' }, undefined],
    [{ status: 'COMPLETED', fulfilment: { outcome: 'delivered', at: 'x', by: 'y' } }, undefined],
    [{ status: 'COMPLETED', refunds: refund('SUBMITTED') }, 'REFUNDING'],
    [
      {
        status: 'COMPLETED',
        fulfilment: { outcome: 'failed', at: 'x', by: 'y' },
        refunds: refund('REQUESTED'),
      },
      'REFUNDING',
    ],
    [{ status: 'REFUNDED', refunds: refund('SUCCEEDED') }, undefined],
    [{ status: 'COMPLETED', refunds: refund('MANUAL') }, undefined],
    [{ status: 'INITIATION_FAILED' }, undefined],
  ] as const)('%j waits in %s', (state, group) => {
    expect(groupOf(state as Parameters<typeof groupOf>[0])).toBe(group);
  });
});
