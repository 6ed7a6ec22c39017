import * as z from 'zod';

/** What a PayDunya confirm answer echoes for one line; everything is a string there (API.md §4). */
export interface SimItem {
  name: string;
  quantity: string;
  unit_price: string;
  total_price: string;
  description: string;
}

export interface SimTax {
  name: string;
  amount: string;
}

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface SimStore {
  name: string;
  tagline: string;
  postal_address: string;
  phone: string;
  logo_url: string;
  website_url: string;
}

export interface SimActions {
  cancel_url: string;
  callback_url: string;
  return_url: string;
}

/** A create request once validated and reduced to what the simulator keeps. */
export interface CreateRequest {
  items: Record<string, SimItem>;
  taxes: Record<string, SimTax>;
  total_amount: number;
  description: string;
  channels: string[];
  customer: { name: string; email: string; phone: string };
  store: SimStore;
  custom_data: Json;
  actions: SimActions;
}

const text = (max: number) => z.string().max(max);
// Docs send numbers, some clients strings ("10000"); both are display-only for items (API.md §3).
const amountLike = z.union([z.number(), z.string().max(32)]);

const itemSchema = z.object({
  name: text(500).optional(),
  quantity: amountLike.optional(),
  unit_price: amountLike.optional(),
  total_price: amountLike.optional(),
  description: text(2000).optional(),
});
const taxSchema = z.object({ name: text(500).optional(), amount: amountLike.optional() });

// Clients disagree: object keyed item_0.. or item_1.., or a JSON array (API.md §8.1). Accept all.
const collection = <T extends z.ZodType>(entry: T) =>
  z.union([z.record(z.string().max(64), entry), z.array(entry)]).optional();

const totalAmount = z
  .union([z.number(), z.string()], { error: 'must be a positive integer' })
  .transform((value, ctx) => {
    const n =
      typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a positive integer' });
      return z.NEVER;
    }
    return n;
  });

const url = text(2048).optional();

const createSchema = z.object(
  {
    invoice: z.object(
      {
        items: collection(itemSchema),
        taxes: collection(taxSchema),
        total_amount: totalAmount,
        description: text(2000).optional(),
        channels: z.array(text(64)).max(50).optional(),
        customer: z
          .object({ name: text(200).optional(), email: text(200).optional(), phone: text(50).optional() })
          .optional(),
      },
      { error: 'is required' },
    ),
    store: z.object(
      {
        name: z.string({ error: 'is required' }).max(200).trim().min(1, 'must not be empty'),
        tagline: text(500).optional(),
        postal_address: text(500).optional(),
        phone: text(50).optional(),
        // NPM/TNODE/PY spell it phone_number (API.md §8.2).
        phone_number: text(50).optional(),
        logo_url: url,
        website_url: url,
      },
      { error: 'is required' },
    ),
    // PHP clients send [] when they have no custom data.
    custom_data: z.union([z.record(z.string().max(200), z.json()), z.array(z.json())]).optional(),
    actions: z.object({ cancel_url: url, return_url: url, callback_url: url }).optional(),
  },
  { error: 'body must be a JSON object' },
);

/** Validates a create body; the error names the first offending field, e.g. `invoice.total_amount: ...`. */
export function parseCreateRequest(
  body: unknown,
): { ok: true; value: CreateRequest } | { ok: false; error: string } {
  const parsed = createSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.map(String).join('.') ?? '';
    const message = issue?.message ?? 'invalid request';
    return { ok: false, error: path ? `${path}: ${message}` : message };
  }
  const { invoice, store, custom_data, actions } = parsed.data;
  return {
    ok: true,
    value: {
      items: keyed(invoice.items, 'item', toItem),
      taxes: keyed(invoice.taxes, 'tax', (t) => ({ name: t.name ?? '', amount: amountText(t.amount, '0') })),
      total_amount: invoice.total_amount,
      description: invoice.description ?? '',
      channels: invoice.channels ?? [],
      customer: {
        name: invoice.customer?.name ?? '',
        email: invoice.customer?.email ?? '',
        phone: invoice.customer?.phone ?? '',
      },
      store: {
        name: store.name,
        tagline: store.tagline ?? '',
        postal_address: store.postal_address ?? '',
        phone: store.phone ?? store.phone_number ?? '',
        logo_url: store.logo_url ?? '',
        website_url: store.website_url ?? '',
      },
      custom_data: custom_data ?? [],
      actions: {
        cancel_url: actions?.cancel_url ?? '',
        callback_url: actions?.callback_url ?? '',
        return_url: actions?.return_url ?? '',
      },
    },
  };
}

/** Arrays become `<prefix>_0..n`, as PayDunya stores them; objects keep the client's keys and order. */
function keyed<In, Out>(
  entries: Record<string, In> | In[] | undefined,
  prefix: string,
  map: (entry: In) => Out,
): Record<string, Out> {
  const out: Record<string, Out> = {};
  const pairs = Array.isArray(entries)
    ? entries.map((e, i): [string, In] => [`${prefix}_${i}`, e])
    : Object.entries(entries ?? {});
  for (const [key, e] of pairs) out[key] = map(e);
  return out;
}

function toItem(item: z.infer<typeof itemSchema>): SimItem {
  const quantity = amountText(item.quantity, '1');
  const unitPrice = amountText(item.unit_price, '0');
  const q = Number(quantity);
  const u = Number(unitPrice);
  // Only a display fallback: PayDunya itself never does arithmetic on items (API.md §3).
  const computed = Number.isSafeInteger(q * u) ? String(q * u) : unitPrice;
  return {
    name: item.name ?? '',
    quantity,
    unit_price: unitPrice,
    total_price: amountText(item.total_price, computed),
    description: item.description ?? '',
  };
}

function amountText(value: number | string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? String(value) : value.trim();
}
