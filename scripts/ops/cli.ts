import { parseArgs } from 'node:util';
import { loadStageConfig, STAGES, type StageConfig } from '../../lib/config';

/** A command-line mistake: printed with the usage line, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--stage dev|staging|prod` plus the command's own string options, validated. */
export const parseStageArgs = <K extends string>(
  argv: readonly string[],
  extra: readonly K[] = [],
): { config: StageConfig; options: Partial<Record<K, string>> } => {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        ['stage', ...extra].map((name) => [name, { type: 'string' as const }]),
      ) as Record<string, { type: 'string' }>,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const stage = values.stage;
  if (typeof stage !== 'string' || !STAGES.some((name) => name === stage)) {
    throw new UsageError(`--stage must be one of ${STAGES.join(', ')}`);
  }
  const options: Partial<Record<K, string>> = {};
  for (const name of extra) {
    const value = values[name];
    if (typeof value === 'string') options[name] = value;
  }
  return { config: loadStageConfig(stage), options };
};

/** Runs a command's main: usage errors exit 2, other failures exit 1, with the message only (no stack noise). */
export const runCli = async (usage: string, main: () => Promise<number>): Promise<void> => {
  try {
    process.exitCode = await main();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\nusage: ${usage}`);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exitCode = 1;
  }
};
