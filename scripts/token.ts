/**
 * `npm run token -- --sub <id> [--expires-in <seconds>] [--audience <aud>]`: prints a customer token from local mode's
 * issuer on stdout, and nothing else (for `TOKEN=$(npm run -s token -- --sub awa)`). A negative `--expires-in` gives
 * a token that has already expired.
 */
import { parseArgs } from 'node:util';
import { ISSUER_KEYS_FILE, localEnv } from '../local/local-env';
import { LOCAL_AUDIENCE, localIssuerUrl, signLocalToken } from '../local/local-issuer';

const USAGE = `usage: npm run token -- --sub <id> [--expires-in <seconds>] [--audience <aud>]

  --sub <id>              the customer's account id (the token's subject); required
  --expires-in <seconds>  lifetime from now (default 3600); negative gives an expired token
  --audience <aud>        the token's audience (default ${LOCAL_AUDIENCE}, the one local mode accepts)
  --help                  this text

Signs with local mode's issuer key (${ISSUER_KEYS_FILE}, made on first use); its issuer is
${localIssuerUrl(localEnv.ISSUER_PORT)} (ISSUER_PORT).`;

// `--expires-in -60` is what a person types for an expired token; parseArgs would read -60 as an option.
const args = process.argv
  .slice(2)
  .flatMap((arg, i, all) =>
    arg === '--expires-in' && /^-\d+$/.test(all[i + 1] ?? '')
      ? []
      : /^-\d+$/.test(arg) && all[i - 1] === '--expires-in'
        ? [`--expires-in=${arg}`]
        : [arg],
  );

let values: { sub?: string; 'expires-in'?: string; audience?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    args,
    options: {
      sub: { type: 'string' },
      'expires-in': { type: 'string' },
      audience: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  }));
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const expiresIn = values['expires-in'] === undefined ? 3600 : Number(values['expires-in']);
if (!values.sub || !Number.isInteger(expiresIn)) {
  console.error(
    `${!values.sub ? '--sub is required' : '--expires-in must be a whole number of seconds'}\n\n${USAGE}`,
  );
  process.exit(2);
}

console.log(
  await signLocalToken(ISSUER_KEYS_FILE, localIssuerUrl(localEnv.ISSUER_PORT), {
    sub: values.sub,
    expiresInSeconds: expiresIn,
    ...(values.audience ? { audience: values.audience } : {}),
  }),
);
