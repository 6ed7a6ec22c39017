import { parseArgs } from 'node:util';
import { loadStageConfig, STAGES, type StageConfig } from '../../lib/config';

/**
 * The command line of every operator and developer command, from one description: `node:util` parseArgs options and
 * the `--help` text are both derived from it, so an option cannot be parsed without being documented.
 *
 * - `--help` / `-h` prints the usage on stdout and exits 0 before the command loads config or starts anything;
 * - an unknown option, a missing required one or a value outside its choices prints the message and the usage on
 *   stderr and exits 2;
 * - a string option takes a negative number as its value (`--expires-in -60`), which parseArgs alone reads as an
 *   option.
 */

/** One option: what it does and its default, shown one line each in the help. */
export type OptionSpec =
  | {
      readonly type: 'boolean';
      readonly description: string;
    }
  | {
      readonly type: 'string';
      readonly description: string;
      /** The value as the usage shows it: `<seconds>`; with `choices`, they are shown instead. */
      readonly value?: string;
      readonly choices?: readonly string[];
      readonly required?: boolean;
      /** Given to parseArgs, and shown as the default. */
      readonly default?: string;
      /** The default in words, when the command computes it ("today, UTC"). */
      readonly defaultText?: string;
    };

/** A command: how it is run (`npm run rollback`), what it does, its options and a closing note. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly notes?: string;
}

/** What the parse gives: booleans, strings where required or defaulted, `string | undefined` otherwise. */
export type CommandValues<C extends CommandSpec> = {
  readonly [K in keyof C['options']]: C['options'][K] extends { readonly type: 'boolean' }
    ? boolean
    : C['options'][K] extends { readonly required: true } | { readonly default: string }
      ? string
      : string | undefined;
};

/** Declares a command, keeping its literal types (required flags, defaults) for CommandValues. */
export const defineCommand = <const C extends CommandSpec>(command: C): C => command;

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--stage dev|staging|prod`, shared by the commands that act on a stage's AWS account. */
export const STAGE_OPTION = {
  type: 'string',
  choices: STAGES,
  required: true,
  description: 'the stage: its account and region from lib/config, credentials from the usual AWS chain',
} as const satisfies OptionSpec;

/** The stage's typed configuration, once the command line named it. */
export const stageConfigOf = (stage: string): StageConfig => {
  const found = STAGES.find((name) => name === stage);
  if (!found) throw new UsageError(`--stage must be one of ${STAGES.join(', ')}`);
  return loadStageConfig(found);
};

const placeholderOf = (option: OptionSpec): string =>
  option.type === 'boolean'
    ? ''
    : ` <${option.choices ? option.choices.join('|') : (option.value ?? 'value')}>`;

const defaultOf = (option: OptionSpec): string => {
  if (option.type === 'boolean') return 'default: off';
  if (option.required) return 'required';
  if (option.default !== undefined) return `default: ${option.default}`;
  return `default: ${option.defaultText ?? 'none'}`;
};

/** The help text: usage line, summary, one line per option (what it does, its default), notes. */
export const usageOf = (command: CommandSpec): string => {
  const entries = Object.entries(command.options);
  const synopsis = entries.map(([name, option]) => {
    const text = `--${name}${placeholderOf(option)}`;
    return option.type === 'string' && option.required ? text : `[${text}]`;
  });
  const rows: [string, string][] = [
    ...entries.map(([name, option]): [string, string] => [
      `--${name}${placeholderOf(option)}`,
      `${option.description} (${defaultOf(option)})`,
    ]),
    ['-h, --help', 'print this help and exit'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [
    `usage: ${command.name}${synopsis.length > 0 ? ` -- ${synopsis.join(' ')}` : ''}`,
    '',
    command.summary,
    '',
    'options:',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`),
    ...(command.notes ? ['', command.notes] : []),
  ].join('\n');
};

/** `--name -60` as `--name=-60` for the command's string options: a negative number is a value, not an option. */
const withNegativeValues = (command: CommandSpec, argv: readonly string[]): string[] => {
  const takesValue = (arg: string | undefined) =>
    arg?.startsWith('--') === true && command.options[arg.slice(2)]?.type === 'string';
  return argv.flatMap((arg, i) => {
    if (takesValue(arg) && /^-\d+$/.test(argv[i + 1] ?? '')) return [];
    if (/^-\d+$/.test(arg) && takesValue(argv[i - 1])) return [`${argv[i - 1]}=${arg}`];
    return [arg];
  });
};

const isHelp = (command: CommandSpec, argv: readonly string[]): boolean => {
  const { tokens } = parseArgs({
    args: withNegativeValues(command, argv),
    options: {
      ...Object.fromEntries(Object.entries(command.options).map(([name, { type }]) => [name, { type }])),
      help: { type: 'boolean', short: 'h' },
    },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return tokens.some((token) => token.kind === 'option' && token.name === 'help');
};

/** Parses `argv` by the command's description: `'help'` when asked for it; throws UsageError for a mistake. */
export const parseCommand = <C extends CommandSpec>(
  command: C,
  argv: readonly string[],
): CommandValues<C> | 'help' => {
  if (isHelp(command, argv)) return 'help';
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: withNegativeValues(command, argv),
      options: Object.fromEntries(
        Object.entries(command.options).map(([name, option]) => [
          name,
          option.type === 'boolean'
            ? { type: 'boolean' as const, default: false }
            : {
                type: 'string' as const,
                ...(option.default !== undefined ? { default: option.default } : {}),
              },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  for (const [name, option] of Object.entries(command.options)) {
    if (option.type !== 'string') continue;
    const value = values[name];
    if (
      option.choices &&
      (value !== undefined || option.required) &&
      !option.choices.includes(String(value))
    ) {
      throw new UsageError(`--${name} must be one of ${option.choices.join(', ')}`);
    }
    if (option.required && value === undefined) throw new UsageError(`--${name} is required`);
  }
  return values as CommandValues<C>;
};

/** Prints the message and the usage on stderr and exits 2. */
export const exitWithUsage = (command: CommandSpec, message: string): never => {
  console.error(`${message}\n\n${usageOf(command)}`);
  process.exit(2);
};

/**
 * The command line of this process, parsed: on `--help` the usage is printed on stdout and the process exits 0; on a
 * mistake, see exitWithUsage. For commands whose work runs at the top level of their script.
 */
export const commandLine = <C extends CommandSpec>(
  command: C,
  argv: readonly string[] = process.argv.slice(2),
): CommandValues<C> => {
  let parsed: CommandValues<C> | 'help';
  try {
    parsed = parseCommand(command, argv);
  } catch (error) {
    if (error instanceof UsageError) return exitWithUsage(command, error.message);
    throw error;
  }
  if (parsed === 'help') {
    console.log(usageOf(command));
    process.exit(0);
  }
  return parsed;
};

/**
 * Runs a command's main with its parsed options: usage errors (thrown by main too) exit 2 with the usage, other
 * failures exit 1, with the message only (no stack noise).
 */
export const runCli = async <C extends CommandSpec>(
  command: C,
  main: (values: CommandValues<C>) => Promise<number>,
): Promise<void> => {
  const values = commandLine(command);
  try {
    process.exitCode = await main(values);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${usageOf(command)}`);
      process.exitCode = 2;
      return;
    }
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exitCode = 1;
  }
};
