import { stringify } from 'qs';
import type { PaydunyaEnvelope } from './envelope.js';

/**
 * PayDunya posts the envelope as a PHP-style nested array under `data` (API.md §5).
 * qs's defaults (RFC 3986, brackets encoded, empty arrays omitted) reproduce the fixtures byte for byte.
 */
export function encodeIpnBody(envelope: PaydunyaEnvelope): string {
  return stringify({ data: envelope }, { encodeValuesOnly: false });
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * The simulator runs next to real credentials and real order data: it must never post anywhere but this
 * machine, whatever callback URL a request carried. Returns why a URL is refused, or null when it is allowed.
 */
export function refuseNonLoopback(callbackUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(callbackUrl);
  } catch {
    return 'callback_url is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `callback_url scheme ${url.protocol} refused`;
  if (!LOOPBACK_HOSTS.has(url.hostname)) return `callback_url host ${url.hostname} is not loopback`;
  return null;
}

export const IPN_TIMEOUT_MS = 10_000;

export type PostResult = { status: number } | { error: string };

export function postIpn(callbackUrl: string, body: string, stopSignal: AbortSignal): Promise<PostResult> {
  return postCallback(callbackUrl, 'application/x-www-form-urlencoded', body, IPN_TIMEOUT_MS, stopSignal);
}

/** A callback POST that never throws: aborted by its own timeout or when the simulator stops. */
export async function postCallback(
  callbackUrl: string,
  contentType: string,
  body: string,
  timeoutMs: number,
  stopSignal: AbortSignal,
): Promise<PostResult> {
  try {
    const res = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
      // A redirect could lead off this machine; PayDunya's behaviour on 3xx is unknown anyway.
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopSignal]),
    });
    // Drain so the keep-alive socket is reusable and nothing dangles after stop().
    await res.arrayBuffer().catch(() => undefined);
    return { status: res.status };
  } catch (err) {
    return { error: describeError(err) };
  }
}

function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.name}: ${err.message}${cause}`;
}
