import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paydunyaHash } from '../../lambdas/shared/domain/crypto';
import { parseIpn } from '../../lambdas/shared/paydunya/ipn';
import { toInvoiceStatus } from '../../lambdas/shared/paydunya/status';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/paydunya/${name}`, import.meta.url), 'utf8').trim();
const FORM = 'application/x-www-form-urlencoded';

describe('IPN parsing (versioned fixtures, form-encoded data[...])', () => {
  it.each([
    ['ipn-completed.form.txt', 'completed'],
    ['ipn-cancelled.form.txt', 'cancelled'],
    ['ipn-failed.form.txt', 'failed'],
  ])('reads token, status, order id, amount and hash from %s', (file, status) => {
    const notice = parseIpn(fixture(file), FORM);
    expect(notice).toEqual({
      hash: paydunyaHash('fixture-master-key-0000'),
      token: 'test_Fx7aQ2pLm9',
      status,
      orderId: '01J9Z8X7Y6',
      totalAmount: 15000,
    });
  });

  it('reads the same IPN sent as JSON, and with data as a JSON string', () => {
    const data = JSON.parse(fixture('confirm-completed.json'));
    expect(parseIpn(JSON.stringify({ data }), 'application/json')?.token).toBe('test_Fx7aQ2pLm9');
    expect(parseIpn(JSON.stringify({ data: JSON.stringify(data) }), 'application/json')?.totalAmount).toBe(
      15000,
    );
  });

  it.each([
    ['empty', ''],
    ['whitespace', '  \n '],
    ['not form data', '%E0%A4%A'],
    ['no data key', 'foo=bar'],
    ['no hash', 'data[invoice][token]=test_x'],
    ['no token', 'data[hash]=abc'],
    ['broken JSON', '{"data":'],
    ['JSON array', '[1,2]'],
  ])('returns nothing for a body that is %s', (_, body) => {
    expect(parseIpn(body, FORM)).toBeUndefined();
  });

  it('ignores prototype-polluting keys', () => {
    parseIpn('data[hash]=x&data[invoice][token]=t&__proto__[polluted]=1&data[__proto__][polluted]=1', FORM);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('PayDunya statuses', () => {
  it.each([
    ['completed', 'completed'],
    ['pending', 'pending'],
    ['cancelled', 'cancelled'],
    ['canceled', 'cancelled'],
    ['expired', 'cancelled'],
    ['failed', 'failed'],
    ['fail', 'failed'],
    ['COMPLETED', 'completed'],
    ['refunded', 'unknown'],
  ])('"%s" means %s', (raw, expected) => {
    expect(toInvoiceStatus(raw)).toBe(expected);
  });
});
