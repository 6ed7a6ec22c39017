import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles: LAMBDA_BUNDLING
 * (lib/constructs/lambda-bundling.ts) aliases that package to this file at bundle time. Nothing imports this file
 * by name; the tests and local mode keep the SDK's own default chain.
 *
 * Why: every SDK client's runtimeConfig (client-dynamodb, client-sns, client-kms, client-eventbridge; lib-dynamodb
 * only wraps client-dynamodb) imports exactly one export of that package, `defaultProvider`, and uses it as
 * `credentialDefaultProvider` when the client is given no `credentials`. On Lambda its chain always stops at its
 * first link: Lambda puts the execution role's keys in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN) and sets no AWS_PROFILE. The other links (SSO, INI files, credential_process, web identity,
 * ECS/IMDS, with the STS and SSO clients they embed) are never reached, yet esbuild bundles them all (~130 KB per
 * bundle and 30–48 ms of CPU per cold start, bench/lean-build.md). This is that first link alone.
 *
 * If the variables are missing (not on Lambda), the first AWS call of a request rejects with the SDK's
 * CredentialsProviderError ("Unable to find environment variable credentials."), not retried by the SDK, before
 * anything is sent. No code of ours names that error: the stores' classifyWriteError calls it `fatal` (never
 * retried), and the API handlers' errorResponse answers 500 INTERNAL_ERROR, logging "unhandled error" with the
 * error's name and message (not the 503 + Retry-After of a throttled or lost DynamoDB answer); the stream and
 * scheduled handlers throw, so Lambda retries or reports the invocation as failed, as for any AWS failure.
 */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
