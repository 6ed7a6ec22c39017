import { resolve } from 'node:path';
import * as z from 'zod';
import { TABLE } from '../lambdas/shared/contract/table';
import type { PaymentMode } from '../lambdas/shared/domain/order';
import { LOCAL_STORE, type LocalContextOptions } from './local-context';

/** Local mode's settings, from the environment; the same for `npm start` and the operator scripts. */
export const localEnv = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DYNAMODB_PORT: z.coerce.number().int().min(1).max(65535).default(8000),
    SIMULATOR_PORT: z.coerce.number().int().min(1).max(65535).default(8001),
    DYNAMODB_DATA_DIR: z.string().optional(),
    /** Local mode also runs reconcile on a timer (seconds). */
    RECONCILE_INTERVAL_SECONDS: z.coerce.number().int().min(5).default(60),
    PAYDUNYA_MODE: z.enum(['test']).optional(),
    PAYDUNYA_MASTER_KEY: z.string().min(1).optional(),
    PAYDUNYA_PRIVATE_KEY: z.string().min(1).optional(),
    PAYDUNYA_TOKEN: z.string().min(1).optional(),
  })
  .parse(process.env);

export const LOCAL_DIR = resolve('.local');
export const LOCAL_TABLE = TABLE.nameFor('local');

export const localContextOptions = (
  files: { secretsFile: string; flagsFile: string; alertsLog: string },
  paydunyaBaseUrls: Readonly<Record<PaymentMode, string>>,
): LocalContextOptions => {
  const publicBaseUrl = `http://localhost:${localEnv.PORT}`;
  return {
    tableName: LOCAL_TABLE,
    dynamoEndpoint: `http://127.0.0.1:${localEnv.DYNAMODB_PORT}`,
    paydunyaBaseUrls,
    ...files,
    // PayDunya's real sandbox cannot reach loopback: its IPNs will not arrive, and reconcile settles orders.
    publicBaseUrl,
    returnUrl: `${publicBaseUrl}/checkout/return`,
    cancelUrl: `${publicBaseUrl}/checkout/cancel`,
    store: LOCAL_STORE,
  };
};
