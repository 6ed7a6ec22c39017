import { randomBytes } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEFAULT_FLAGS } from '../lambdas/shared/contract/flags';
import { DEFAULT_FRAUD_RULES } from '../lambdas/shared/contract/fraud';
import type { PaydunyaKeys } from '../lambdas/shared/contract/secrets';
import { type LocalSecrets, readLocalSecrets } from './local-adapters';

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

const randomKey = (prefix: string) => `${prefix}${randomBytes(18).toString('base64url')}`;

/** The fraud rules file lives beside the flags file (`.local/fraud-rules.json`), as the two profiles do in AppConfig. */
export const fraudRulesFileBeside = (flagsFile: string): string =>
  join(dirname(flagsFile), 'fraud-rules.json');

/**
 * Creates `.local/secrets.json` (random simulator keys, signing secret and PII key), `.local/flags.json` and
 * `.local/fraud-rules.json` on the first start and keeps them afterwards. Real sandbox keys, when given, replace the PayDunya part.
 */
export const prepareLocalFiles = async (dir: string, paydunya?: PaydunyaKeys) => {
  const secretsFile = join(dir, 'secrets.json');
  const flagsFile = join(dir, 'flags.json');
  const alertsLog = join(dir, 'alerts.log');
  let secrets: LocalSecrets = (await exists(secretsFile))
    ? await readLocalSecrets(secretsFile)
    : {
        paydunya: {
          master_key: randomKey('sim_master_'),
          test_private_key: randomKey('test_private_'),
          test_token: randomKey(''),
        },
        signing_secret: randomBytes(32).toString('base64url'),
        pii_key: randomBytes(32).toString('base64'),
      };
  if (paydunya) secrets = { ...secrets, paydunya };
  await writeFile(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  if (!(await exists(flagsFile))) await writeFile(flagsFile, `${JSON.stringify(DEFAULT_FLAGS, null, 2)}\n`);
  const fraudRulesFile = fraudRulesFileBeside(flagsFile);
  if (!(await exists(fraudRulesFile))) {
    await writeFile(fraudRulesFile, `${JSON.stringify(DEFAULT_FRAUD_RULES, null, 2)}\n`);
  }
  if (!(await exists(alertsLog))) await writeFile(alertsLog, '');
  return { secretsFile, flagsFile, alertsLog, secrets };
};
