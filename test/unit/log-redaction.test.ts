import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { noteCorrelation, withCorrelation } from '../../lambdas/shared/platform/correlation';
import {
  REDACTED,
  RedactingLogFormatter,
  redactingSecrets,
  redactText,
  redactValue,
} from '../../lambdas/shared/platform/log-redaction';

/** A real Powertools logger with the project's formatter, its stdout captured line by line. */
const capture = () => {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  // Powertools prints INFO to stdout and WARN/ERROR to stderr.
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  const logger = new Logger({ serviceName: 'redaction-test', logFormatter: new RedactingLogFormatter() });
  return { logger, lines, json: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
};

afterEach(() => vi.restoreAllMocks());

describe('redactText: contact data and keys in free text', () => {
  it.each([
    ['+22670123456', 'call +22670123456 now'],
    ['+226 70 12 34 56', 'call +226 70 12 34 56 now'],
    ['0022670123456', 'call 0022670123456 now'],
    ['70123456', 'call 70123456 now'],
    ['70 12 34 56', 'call 70 12 34 56 now'],
  ])('removes the phone number %s', (phone, text) => {
    const redacted = redactText(text);
    expect(redacted).not.toContain(phone);
    expect(redacted).toBe('call [phone] now');
  });

  it('removes e-mail addresses, PayDunya private and public keys and SHA-512 digests', () => {
    const hash = createHash('sha512').update('anything').digest('hex');
    const redacted = redactText(
      `awa.ouedraogo@example.bf sent test_private_AbC123 and live_public_Xy_9 with ${hash}`,
    );
    expect(redacted).toBe('[email] sent [paydunya-key] and [paydunya-key] with [hash]');
  });

  it('removes a bearer token (a JWT) wherever it appears in text', () => {
    const jwt =
      'eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhd2EiLCJhdWQiOiJ0ZW1iYSJ9.c2lnbmF0dXJlLWJ5dGVzLWhlcmU';
    expect(redactText(`Authorization: Bearer ${jwt} refused`)).toBe('Authorization: Bearer [jwt] refused');
  });

  it('keeps what correlates requests: order ids, request ids, invoice tokens, dates and amounts', () => {
    const text =
      'order 01JD7012345678ABCDEFGHJKMN request 70123456-1b2c-4d5e-8f90-0123456789ab token test_6BaZCm7FXS ' +
      'at 2026-11-26T04:29:10.607Z for 15000 XOF (max 10000000)';
    expect(redactText(text)).toBe(text);
  });
});

describe('redactValue: fields that never reach a log line', () => {
  it('replaces contact fields, keys, hashes, signatures and PAYDUNYA-* headers, whatever their spelling', () => {
    const redacted = redactValue({
      customer_email: 'a@b.bf',
      customerPhone: '+22670123456',
      customer_name: 'Awa Ouedraogo',
      customer: { name: 'Awa Ouedraogo', email: 'x@y.bf', phone: '70123456' },
      keys: { master_key: 'mk', test_private_key: 'tpk', live_token: 'lt', test_token: 'tt' },
      headers: { 'PAYDUNYA-MASTER-KEY': 'mk', 'PAYDUNYA-PRIVATE-KEY': 'pk', 'PAYDUNYA-TOKEN': 't' },
      data: { hash: 'abc' },
      sig: 'signature-value',
      signing_secret: 's3cret',
      items: [{ name: 'Concert - Pass VIP', quantity: 1 }],
      orderId: '01JD7012345678ABCDEFGHJKMN',
      token: 'test_6BaZCm7FXS',
    });
    expect(redacted).toEqual({
      customer_email: REDACTED,
      customerPhone: REDACTED,
      customer_name: REDACTED,
      customer: { name: REDACTED, email: REDACTED, phone: REDACTED },
      keys: { master_key: REDACTED, test_private_key: REDACTED, live_token: REDACTED, test_token: REDACTED },
      headers: {
        'PAYDUNYA-MASTER-KEY': REDACTED,
        'PAYDUNYA-PRIVATE-KEY': REDACTED,
        'PAYDUNYA-TOKEN': REDACTED,
      },
      data: { hash: REDACTED },
      sig: REDACTED,
      signing_secret: REDACTED,
      // An item's name is not a person's name.
      items: [{ name: 'Concert - Pass VIP', quantity: 1 }],
      orderId: '01JD7012345678ABCDEFGHJKMN',
      token: 'test_6BaZCm7FXS',
    });
  });

  it('turns errors into plain objects and cleans their message and stack', () => {
    const error = new Error('PayDunya refused +22670123456 / awa@example.bf');
    const redacted = redactValue({ error }) as { error: { message: string; stack: string } };
    expect(redacted.error.message).toBe('PayDunya refused [phone] / [email]');
    expect(redacted.error.stack).not.toContain('70123456');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'loop' };
    a.self = a;
    expect(redactValue(a)).toEqual({ name: 'loop', self: '[...]' });
  });
});

describe('RedactingLogFormatter on a real Powertools Logger', () => {
  it('prints Powertools JSON with the message and every attribute redacted', () => {
    const { logger, json } = capture();
    logger.info('customer +22670123456 paid', { customer_email: 'awa@example.bf', amount: 15000 });
    const [line] = json();
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'customer [phone] paid',
      service: 'redaction-test',
      customer_email: REDACTED,
      amount: 15000,
      timestamp: expect.any(String),
    });
  });

  it('redacts an error passed to logger.error, stack included', () => {
    const { logger, lines } = capture();
    logger.error('boom', new Error('bad key test_private_secret123 for 70123456'));
    expect(lines.join('')).not.toMatch(/test_private_secret123|70123456/);
    expect(lines.join('')).toContain('[paydunya-key]');
  });

  it('puts the request id on every line of a request, then the order id and token once they are known', async () => {
    const { logger, json } = capture();
    await withCorrelation({ requestId: 'req-1' }, async () => {
      logger.info('received');
      noteCorrelation({ orderId: '01JD7012345678ABCDEFGHJKMN', token: 'test_6BaZCm7FXS' });
      await Promise.resolve();
      logger.info('settled');
    });
    logger.info('outside any request');
    expect(json().map(({ requestId, orderId, token }) => ({ requestId, orderId, token }))).toEqual([
      { requestId: 'req-1', orderId: undefined, token: undefined },
      { requestId: 'req-1', orderId: '01JD7012345678ABCDEFGHJKMN', token: 'test_6BaZCm7FXS' },
      { requestId: undefined, orderId: undefined, token: undefined },
    ]);
  });

  it('keeps concurrent requests apart', async () => {
    const { logger, json } = capture();
    const request = (id: string, orderId: string) =>
      withCorrelation({ requestId: id }, async () => {
        noteCorrelation({ orderId });
        await new Promise((resolve) => setTimeout(resolve, 5));
        logger.info('done');
      });
    await Promise.all([request('req-a', 'ORDER-A'), request('req-b', 'ORDER-B')]);
    expect(
      json()
        .map(({ requestId, orderId }) => `${requestId}:${orderId}`)
        .sort(),
    ).toEqual(['req-a:ORDER-A', 'req-b:ORDER-B']);
  });

  it('once secrets are read through redactingSecrets, their exact values and the master key hash never print', async () => {
    const { logger, lines } = capture();
    const masterKey = 'mk-4f9a0c1e7b2d';
    const secrets = redactingSecrets({
      paydunyaKeys: async () => ({
        master_key: masterKey,
        test_private_key: 'opaque-private-key-1',
        test_token: 'opaque-token-abcdef',
      }),
      signingSecret: async () => 'xxxxxxxxsigning-secret-value',
    });
    await secrets.paydunyaKeys();
    await secrets.signingSecret();
    const hash = createHash('sha512').update(masterKey).digest('hex');
    logger.warn(`odd values ${masterKey} opaque-token-abcdef xxxxxxxxsigning-secret-value`, { seen: hash });
    const out = lines.join('');
    expect(out).not.toContain(masterKey);
    expect(out).not.toContain('opaque-token-abcdef');
    expect(out).not.toContain('signing-secret-value');
    expect(out).not.toContain(hash);
  });
});
