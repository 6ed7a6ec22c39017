import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/shared/contract/routes';
import { callbackUrlFor } from '../../lambdas/shared/domain/create-payment';
import { STAGE_CONFIGS } from '../../lib/config/stages';

describe('the callback URL PayDunya is given', () => {
  it('keeps the stage path of an execute-api base URL (…/v1/webhooks/paydunya)', () => {
    const url = new URL(
      callbackUrlFor(
        'https://abc123.execute-api.eu-west-3.amazonaws.com/v1',
        '01ARZ3NDEKTSV4RRFFQ69G5FAV',
        'sig',
      ),
    );
    expect(url.pathname).toBe(`/v1${ROUTES.paydunyaWebhook.path}`);
    expect(url.searchParams.get('o')).toBe('01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(url.searchParams.get('sig')).toBe('sig');
  });

  it.each(Object.entries(STAGE_CONFIGS))(
    '%s: the configured public base URL, if any, ends in the webhook route',
    (_, config) => {
      const base = config.urls.publicBaseUrl ?? 'https://abc123.execute-api.eu-west-3.amazonaws.com/v1';
      const url = new URL(callbackUrlFor(base, '01ARZ3NDEKTSV4RRFFQ69G5FAV', 's'));
      expect(url.pathname).toBe(
        `${new URL(base).pathname.replace(/\/+$/, '')}${ROUTES.paydunyaWebhook.path}`,
      );
      expect(url.href.startsWith(base.replace(/\/+$/, ''))).toBe(true);
    },
  );

  it('a base URL with a trailing slash gives no double slash', () => {
    expect(new URL(callbackUrlFor('https://api.temba.app/', 'X', 's')).pathname).toBe(
      ROUTES.paydunyaWebhook.path,
    );
  });
});
