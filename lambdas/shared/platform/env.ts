import type { EnvName } from '../contract/env';

/** Reads a required variable; a missing one stops the cold start with a message naming it, never becomes ''. */
export const requireEnv = (name: EnvName, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(
      `Missing required environment variable ${name}: the function's configuration is incomplete`,
    );
  }
  return value;
};
