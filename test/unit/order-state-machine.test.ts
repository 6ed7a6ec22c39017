import { describe, expect, it } from 'vitest';
import {
  canTransition,
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
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it('terminal states never move, not even back to PENDING', () => {
    for (const from of ['COMPLETED', 'CANCELLED', 'FAILED', 'INITIATION_FAILED'] as const) {
      expect(isTerminal(from)).toBe(true);
      for (const to of ORDER_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('a payment cannot complete without having been PENDING', () => {
    expect(canTransition('CREATED', 'COMPLETED')).toBe(false);
    expect(canTransition('PENDING', 'CREATED')).toBe(false);
  });
});
