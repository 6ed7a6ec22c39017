/**
 * `npm run token -- --sub <id> [--expires-in <seconds>] [--audience <aud>]`: prints a customer token from local mode's
 * issuer on stdout, and nothing else (for `TOKEN=$(npm run -s token -- --sub awa)`). A negative `--expires-in` gives
 * a token that has already expired.
 */
import { ISSUER_KEYS_FILE, localEnv } from '../local/local-env';
import { LOCAL_AUDIENCE, localIssuerUrl, signLocalToken } from '../local/local-issuer';
import { commandLine, defineCommand, exitWithUsage } from './ops/cli';

const TOKEN = defineCommand({
  name: 'npm run token',
  summary: "Prints a customer token from local mode's issuer on stdout, and nothing else.",
  options: {
    sub: {
      type: 'string',
      value: 'id',
      required: true,
      description: "the customer's account id (the token's subject)",
    },
    'expires-in': {
      type: 'string',
      value: 'seconds',
      default: '3600',
      description: 'lifetime from now; negative gives an expired token',
    },
    audience: {
      type: 'string',
      value: 'aud',
      default: LOCAL_AUDIENCE,
      description: "the token's audience; local mode accepts only the default",
    },
  },
  notes: `Signs with local mode's issuer key (${ISSUER_KEYS_FILE}, made on first use); its issuer is
${localIssuerUrl(localEnv.ISSUER_PORT)} (ISSUER_PORT).`,
});

const values = commandLine(TOKEN);
const expiresIn = Number(values['expires-in']);
if (!values.sub) exitWithUsage(TOKEN, '--sub is required');
if (!Number.isInteger(expiresIn)) exitWithUsage(TOKEN, '--expires-in must be a whole number of seconds');

console.log(
  await signLocalToken(ISSUER_KEYS_FILE, localIssuerUrl(localEnv.ISSUER_PORT), {
    sub: values.sub,
    expiresInSeconds: expiresIn,
    ...(values.audience ? { audience: values.audience } : {}),
  }),
);
