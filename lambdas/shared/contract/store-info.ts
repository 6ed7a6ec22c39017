import * as z from 'zod';

/** The PayDunya `store` object shown on the hosted payment page (API.md §3). */
export const storeInfoSchema = z.object({
  name: z.string().min(1).max(100),
  tagline: z.string().max(200).optional(),
  phone: z.string().max(40).optional(),
  postal_address: z.string().max(300).optional(),
  website_url: z.url().optional(),
  logo_url: z.url().optional(),
});
export type StoreInfo = z.infer<typeof storeInfoSchema>;
