import * as z from 'zod';
import { LIMITS } from '../contract/routes';
import { type FieldIssue, ValidationError } from './errors';
import { lineTotal } from './order';

export const MIN_AMOUNT_XOF = 100;
export const MAX_AMOUNT_XOF = 10_000_000;

// Control characters would end up on PayDunya's page and in logs; refuse them rather than strip them.
const printable = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} characters` })
    .refine((s) => !/\p{Cc}/u.test(s), { error: 'must not contain control characters' });

const integerXof = (min: number, max: number) =>
  z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number of XOF (XOF has no minor unit)' })
    .min(min, { error: `must be at least ${min} XOF` })
    .max(max, { error: `must be at most ${max} XOF` });

export const orderItemSchema = z.strictObject({
  name: printable(100),
  quantity: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' })
    .max(50, { error: 'must be at most 50' }),
  unit_price: integerXof(MIN_AMOUNT_XOF, MAX_AMOUNT_XOF),
});

const { maxPairs, maxKeyLength, maxValueLength } = LIMITS.metadata;

/** Temba's reservation id: echoed in events, and how ticketing finds the payments of a reservation. */
export const referenceSchema = z
  .string({ error: 'must be a string' })
  .regex(LIMITS.referencePattern, { error: 'must be 1 to 64 of A-Z, a-z, 0-9, "_" and "-"' });

const metadataSchema = z
  .record(
    z
      .string()
      .min(1, { error: 'keys must not be empty' })
      .max(maxKeyLength, { error: `keys must be at most ${maxKeyLength} characters` }),
    // Metadata travels in every event, to every subscriber: contact data has no place there.
    printable(maxValueLength).refine((value) => !/[^\s@]+@[^\s@]+\.[^\s@]+|\+\d{8,}/.test(value), {
      error: 'must not hold an e-mail address or phone number (metadata is sent in every payment event)',
    }),
    { error: 'must be an object of string values' },
  )
  .refine((pairs) => Object.keys(pairs).length <= maxPairs, { error: `must hold at most ${maxPairs} pairs` });

/** Body of POST /payments, with the go-live plan's field names. */
export const paymentRequestSchema = z
  .strictObject(
    {
      amount: integerXof(MIN_AMOUNT_XOF, MAX_AMOUNT_XOF),
      currency: z.literal('XOF', { error: 'must be "XOF" (the only currency PayDunya takes here)' }),
      customer_email: z.email({ error: 'must be a valid email address' }).max(254, { error: 'is too long' }),
      customer_phone: z
        .string({ error: 'must be a string' })
        .regex(/^\+226\d{8}$/, { error: 'must be a Burkina Faso number: +226 followed by 8 digits' }),
      items: z
        .array(orderItemSchema, { error: 'must be a list of items' })
        .min(1, { error: 'must hold at least 1 item' })
        .max(50, { error: 'must hold at most 50 items' }),
      customer_name: printable(100).optional(),
      description: printable(255).optional(),
      reference: referenceSchema.optional(),
      metadata: metadataSchema.optional(),
    },
    { error: 'the body must be a JSON object' },
  )
  .superRefine((body, ctx) => {
    const total = lineTotal(body.items);
    if (total !== body.amount) {
      ctx.addIssue({
        code: 'custom',
        path: ['amount'],
        message: `must equal the sum of quantity × unit_price over the items (${total} XOF)`,
      });
    }
  });

export type PaymentRequest = z.infer<typeof paymentRequestSchema>;

const formatPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (acc, part) =>
      typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    '',
  );

/** Zod issues as the API's field list: one entry per offending field, unknown fields named one by one. */
export const toFieldIssues = (error: z.ZodError): FieldIssue[] =>
  error.issues.flatMap((issue): FieldIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: 'is not a known field',
      }));
    }
    return [{ path: formatPath(issue.path) || '(body)', message: issue.message }];
  });

/** Validates a parsed JSON body; throws a ValidationError listing every problem at once. */
export const parsePaymentRequest = (body: unknown): PaymentRequest => {
  const result = paymentRequestSchema.safeParse(body);
  if (!result.success) {
    throw new ValidationError('The payment request is invalid; see fields.', toFieldIssues(result.error));
  }
  return result.data;
};
