import { describe, expect, it } from 'vitest';
import {
  canTransition,
  isSettled,
  isTerminal,
  ORDER_STATUSES,
  type OrderStatus,
} from '../../lambdas/shared/domain/order';

describe('order state machine', () => {
  it.each<[OrderStatus, OrderStatus]>([
    ['CREATED', 'PENDING'],
    ['CREATED', 'INITIATION_FAILED'],
    ['PENDING', 'COMPLETED'],
    ['PENDING', 'CANCELLED'],
    ['PENDING', 'FAILED'],
    ['PENDING', 'EXPIRED'],
    ['COMPLETED', 'REFUNDED'],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it('terminal states never move, not even back to PENDING', () => {
    for (const from of ['FAILED', 'INITIATION_FAILED', 'REFUNDED'] as const) {
      expect(isTerminal(from)).toBe(true);
      for (const to of ORDER_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('a cancelled or expired order only moves on when the customer paid late: to COMPLETED', () => {
    for (const from of ['CANCELLED', 'EXPIRED'] as const) {
      expect(ORDER_STATUSES.filter((to) => canTransition(from, to))).toEqual(['COMPLETED']);
    }
  });

  it('a paid order only moves on to REFUNDED (its refunds covered it), never back or to another outcome', () => {
    expect(ORDER_STATUSES.filter((to) => canTransition('COMPLETED', to))).toEqual(['REFUNDED']);
  });

  it('what PayDunya says can no longer change a settled order', () => {
    for (const status of ORDER_STATUSES) {
      expect(isSettled(status)).toBe(status !== 'CREATED' && status !== 'PENDING');
    }
  });

  it('a payment cannot complete without having been PENDING', () => {
    expect(canTransition('CREATED', 'COMPLETED')).toBe(false);
    expect(canTransition('PENDING', 'CREATED')).toBe(false);
  });
});
