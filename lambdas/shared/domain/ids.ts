import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32. Sortable by creation time, and with
 * 80 random bits an order id cannot be guessed, which matters because GET /payments/{orderId} takes it alone.
 */
export const newOrderId = (now: Date): string => {
  let time = now.getTime();
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = CROCKFORD.charAt(time % 32) + timePart;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(16);
  let randomPart = '';
  for (let i = 0; i < 16; i++) randomPart += CROCKFORD.charAt((random[i] ?? 0) % 32);
  return timePart + randomPart;
};

export const ORDER_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
