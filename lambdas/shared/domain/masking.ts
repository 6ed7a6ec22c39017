/** `awa.ouedraogo@example.bf` → `a***@example.bf`. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
};

/** `+22670123456` → `+226******56`: enough for a customer to recognise their number, not enough to call it. */
export const maskPhone = (phone: string): string =>
  phone.length <= 6 ? '***' : `${phone.slice(0, 4)}${'*'.repeat(phone.length - 6)}${phone.slice(-2)}`;
