import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLAGS } from '../../lambdas/shared/contract/flags';
import { paymentRequestSchema } from '../../lambdas/shared/domain/payment-request.schema';
import { type Harness, startHarness, validOrder } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // The property is about validation: valid bodies of up to 10,000,000 XOF each would otherwise fill the day's
  // limit (5,000,000 XOF by default) after a few runs and be refused 429, which depends on the seed. Limits have
  // their own tests.
  await h.setFlags({ ...DEFAULT_FLAGS, daily_limit: { ...DEFAULT_FLAGS.daily_limit, enabled: false } });
});
afterAll(async () => {
  await h?.stop();
});

const nearlyValidItem = fc.record(
  {
    name: fc.oneof(fc.string({ maxLength: 120 }), fc.constant('Ticket'), fc.integer()),
    quantity: fc.oneof(fc.integer({ min: -2, max: 60 }), fc.double(), fc.constant('1')),
    unit_price: fc.oneof(
      fc.integer({ min: 0, max: 200_000 }),
      fc.double({ min: 0, max: 1e7 }),
      fc.constant(null),
    ),
    extra: fc.anything(),
  },
  { requiredKeys: [] },
);

/** Bodies near the valid region (so many pass), and far from it (anything JSON can express). */
const bodies = fc.oneof(
  fc.record(
    {
      amount: fc.oneof(fc.integer({ min: -10, max: 20_000_000 }), fc.double(), fc.string()),
      currency: fc.constantFrom('XOF', 'xof', 'EUR', '', 1),
      customer_email: fc.oneof(fc.emailAddress(), fc.string()),
      customer_phone: fc.oneof(fc.stringMatching(/^\+226\d{8}$/), fc.string()),
      items: fc.oneof(fc.array(nearlyValidItem, { maxLength: 55 }), fc.anything()),
      customer_name: fc.string({ maxLength: 110 }),
      description: fc.string({ maxLength: 300 }),
      unexpected: fc.anything(),
    },
    { requiredKeys: [] },
  ),
  fc.array(nearlyValidItem, { minLength: 1, maxLength: 3 }).map((items) => {
    const clean = items.map(({ extra: _, ...rest }) => rest);
    const amount = clean.reduce((sum, i) => sum + Number(i.quantity) * Number(i.unit_price), 0);
    return validOrder({ items: clean, amount });
  }),
  fc.jsonValue(),
);

describe('POST /payments: properties', () => {
  it('no generated body yields a 5xx, and none writes anything unless it is valid', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const before = await h.itemCount();
        const response = await h.post(JSON.stringify(body), randomUUID());
        const valid = paymentRequestSchema.safeParse(body).success;
        expect(response.status).toBeLessThan(500);
        expect(response.status).toBe(valid ? 201 : 400);
        if (!valid) expect(await h.itemCount()).toBe(before);
      }),
      { numRuns: 150 },
    );
  });
});
