import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/shared/domain/errors';
import { parsePaymentRequest } from '../../lambdas/shared/domain/payment-request.schema';

const valid = {
  amount: 15000,
  currency: 'XOF',
  customer_email: 'awa@example.bf',
  customer_phone: '+22670123456',
  items: [
    { name: 'Concert', quantity: 1, unit_price: 10000 },
    { name: 'Parking', quantity: 2, unit_price: 2500 },
  ],
};

describe('payment request schema', () => {
  it('accepts the go-live plan example and keeps integers', () => {
    expect(parsePaymentRequest(valid)).toEqual(valid);
  });

  it('lists every problem at once, each with its path', () => {
    expect.assertions(2);
    try {
      parsePaymentRequest({ ...valid, amount: 1.5, currency: 'EUR', extra: true });
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).fields.map((f) => f.path)).toEqual(['amount', 'currency', 'extra']);
    }
  });

  it('names the expected total when the amount does not match the items', () => {
    expect(() => parsePaymentRequest({ ...valid, amount: 15100 })).toThrow(ValidationError);
    try {
      parsePaymentRequest({ ...valid, amount: 15100 });
    } catch (error) {
      expect((error as ValidationError).fields).toEqual([
        { path: 'amount', message: expect.stringContaining('15000 XOF') },
      ]);
    }
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'x', 3]) expect(() => parsePaymentRequest(body)).toThrow(ValidationError);
  });
});
