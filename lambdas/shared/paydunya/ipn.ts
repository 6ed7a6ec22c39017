import qs from 'qs';
import * as z from 'zod';

/** The few IPN fields this service reads. Everything else in the IPN is ignored: confirm is the truth (API.md §5). */
export interface IpnNotice {
  readonly hash: string;
  readonly token: string;
  readonly status?: string;
  readonly orderId?: string;
  readonly totalAmount?: number;
}

const scalar = z.union([z.string(), z.number()]).transform((v) => String(v));

const ipnDataSchema = z.object({
  hash: z.string().min(1),
  invoice: z.object({ token: scalar, total_amount: scalar.optional() }),
  status: scalar.optional(),
  custom_data: z.object({ order_id: scalar.optional() }).partial().optional().catch(undefined),
});

const parseForm = (body: string): unknown =>
  // Bounded so a hostile body cannot make the parser allocate without limit.
  qs.parse(body, { depth: 5, parameterLimit: 200, arrayLimit: 50, allowPrototypes: false });

const parseJson = (body: string): unknown => {
  const json: unknown = JSON.parse(body);
  // One integrator reports `data` arriving as a JSON string inside a JSON body (API.md §5).
  if (json && typeof json === 'object' && 'data' in json && typeof json.data === 'string') {
    return { data: JSON.parse(json.data) };
  }
  return json;
};

/**
 * Reads an IPN body: PayDunya posts `application/x-www-form-urlencoded` with PHP-style `data[...]` keys; JSON is
 * accepted defensively. Returns undefined for an empty, unparseable or incomplete body, which the webhook
 * acknowledges and ignores.
 */
export const parseIpn = (body: string, contentType: string | undefined): IpnNotice | undefined => {
  const trimmed = body.trim();
  if (trimmed === '') return undefined;
  let parsed: unknown;
  try {
    const looksJson = (contentType ?? '').toLowerCase().includes('json') || trimmed.startsWith('{');
    parsed = looksJson ? parseJson(trimmed) : parseForm(trimmed);
  } catch {
    return undefined;
  }
  const data = parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : undefined;
  const result = ipnDataSchema.safeParse(data);
  if (!result.success) return undefined;
  const { hash, invoice, status, custom_data } = result.data;
  const amount = invoice.total_amount === undefined ? undefined : Number(invoice.total_amount);
  return {
    hash,
    token: invoice.token,
    status,
    orderId: custom_data?.order_id,
    totalAmount: amount !== undefined && Number.isFinite(amount) ? amount : undefined,
  };
};
