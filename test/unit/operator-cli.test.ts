import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defineCommand, parseCommand, UsageError, usageOf } from '../../scripts/ops/cli';

/**
 * Every operator and developer command answers `--help` (and `-h`) with its usage and every option on stdout, exit
 * 0, before it loads config or starts anything; an unknown option exits 2 with the usage on stderr. The commands
 * are spawned for real (tsx, from the repo root), a few at a time.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SPAWN_TIMEOUT_MS = 40_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `<script> <args>` under tsx (`node --import tsx`, as `npx tsx` does without its extra watcher process) in its
 * own process group, killed whole if it outlives the timeout.
 */
const run = (script: string, args: readonly string[]): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} still running after ${SPAWN_TIMEOUT_MS} ms`));
    }, SPAWN_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

/** At most `limit` runs at once: each spawn compiles TypeScript, and CI machines have two cores. */
const limited = (limit: number) => {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
};
const slot = limited(3);

/** Each command, how it is run, and the options its help must list. */
const COMMANDS = [
  { command: 'npm run preflight', script: 'scripts/preflight.ts', options: ['--stage'] },
  { command: 'npm run rollback', script: 'scripts/rollback.ts', options: ['--stage', '--to'] },
  { command: 'npm run restore-drill', script: 'scripts/restore-drill.ts', options: ['--stage'] },
  { command: 'npm run reconcile', script: 'scripts/reconcile.ts', options: ['--older-than-minutes'] },
  { command: 'npm run report', script: 'scripts/report.ts', options: ['--date'] },
  { command: 'npm run load', script: 'scripts/load.ts', options: ['--rush', '--seed'] },
  {
    command: 'npm run load',
    script: 'scripts/load.ts',
    before: ['--rush'],
    options: ['--rush', '--seed'],
  },
  { command: 'npm run bench', script: 'bench/run.ts', options: ['--quick'] },
  { command: 'npm run token', script: 'scripts/token.ts', options: ['--sub', '--expires-in', '--audience'] },
  { command: 'npm run schemas', script: 'scripts/event-schemas.ts', options: ['--check'] },
  { command: 'npm run openapi', script: 'scripts/openapi.ts', options: ['--check'] },
].map((entry) => ({ ...entry, label: [entry.command, ...(entry.before ?? [])].join(' -- ') }));

// Started at once (three at a time), awaited by each test: the whole file stays well under a minute.
const runs = new Map(
  COMMANDS.map(({ label, script, before = [] }) => [
    label,
    {
      help: slot(() => run(script, [...before, '--help'])),
      bogus: slot(() => run(script, [...before, '--bogus'])),
    },
  ]),
);
for (const { help, bogus } of runs.values()) {
  // Awaited in the tests; never an unhandled rejection meanwhile.
  help.catch(() => undefined);
  bogus.catch(() => undefined);
}

describe('every operator command answers --help and refuses unknown options', () => {
  it.each(COMMANDS)(
    '$label --help: the usage and every option on stdout, exit 0',
    async ({ label, command, options }) => {
      const result = await runs.get(label)?.help;
      expect(result?.code, result?.stderr).toBe(0);
      expect(result?.stdout).toContain(`usage: ${command}`);
      for (const option of [...options, '--help']) expect(result?.stdout).toContain(option);
      // One line per option, each with its default (or "required").
      for (const option of options) {
        const line = result?.stdout.split('\n').find((text) => text.trimStart().startsWith(option));
        expect(line, option).toMatch(/\((default: .+|required)\)$/);
      }
      expect(result?.stderr).toBe('');
    },
    120_000,
  );

  it.each(COMMANDS)(
    '$label --bogus: the usage on stderr, exit 2, nothing on stdout',
    async ({ label, command }) => {
      const result = await runs.get(label)?.bogus;
      expect(result?.code, result?.stdout).toBe(2);
      expect(result?.stderr).toContain("Unknown option '--bogus'");
      expect(result?.stderr).toContain(`usage: ${command}`);
      expect(result?.stdout).toBe('');
    },
    120_000,
  );
});

describe('the command description (scripts/ops/cli.ts)', () => {
  const command = defineCommand({
    name: 'npm run example',
    summary: 'An example.',
    options: {
      stage: { type: 'string', choices: ['dev', 'prod'], required: true, description: 'the stage' },
      'expires-in': { type: 'string', value: 'seconds', default: '3600', description: 'lifetime' },
      date: { type: 'string', value: 'YYYY-MM-DD', defaultText: 'today', description: 'the day' },
      quick: { type: 'boolean', description: 'fewer runs' },
    },
    notes: 'A closing note.',
  });

  it('derives the usage line, one line per option with its default, and the notes', () => {
    expect(usageOf(command)).toBe(
      [
        'usage: npm run example -- --stage <dev|prod> [--expires-in <seconds>] [--date <YYYY-MM-DD>] [--quick]',
        '',
        'An example.',
        '',
        'options:',
        '  --stage <dev|prod>      the stage (required)',
        '  --expires-in <seconds>  lifetime (default: 3600)',
        '  --date <YYYY-MM-DD>     the day (default: today)',
        '  --quick                 fewer runs (default: off)',
        '  -h, --help              print this help and exit',
        '',
        'A closing note.',
      ].join('\n'),
    );
  });

  it('parses with defaults, and takes a negative number as a value', () => {
    expect(parseCommand(command, ['--stage', 'dev'])).toEqual({
      stage: 'dev',
      'expires-in': '3600',
      quick: false,
    });
    expect(parseCommand(command, ['--stage=prod', '--expires-in', '-60', '--quick'])).toMatchObject({
      stage: 'prod',
      'expires-in': '-60',
      quick: true,
    });
  });

  it('answers help for --help or -h, even beside a mistake', () => {
    expect(parseCommand(command, ['--help'])).toBe('help');
    expect(parseCommand(command, ['-h'])).toBe('help');
    expect(parseCommand(command, ['--bogus', '--help'])).toBe('help');
  });

  it('refuses an unknown option, a positional, a missing required option and a value outside its choices', () => {
    for (const [argv, message] of [
      [['--stage', 'dev', '--bogus'], "Unknown option '--bogus'"],
      [['--stage', 'dev', 'extra'], 'extra'],
      [[], '--stage must be one of dev, prod'],
      [['--stage', 'qa'], '--stage must be one of dev, prod'],
      [['--stage', 'dev', '--quick=yes'], '--quick'],
    ] as const) {
      expect(() => parseCommand(command, argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parseCommand(command, argv), argv.join(' ')).toThrow(message);
    }
  });
});
