/**
 * `npm run schemas`: writes the JSON Schema of every payment event (lambdas/shared/contract/events/<type>.schema.json)
 * from the zod definitions in lambdas/shared/contract/events.ts. `npm run schemas -- --check` writes nothing and
 * exits 1 naming every file that differs from what it would write (test/unit/event-schemas.test.ts checks the same).
 *
 * Each schema describes the whole EventBridge envelope a rule target receives; `detail` is the zod detail schema
 * as `z.toJSONSchema` converts it. The text is formatted by Biome (the repo's JSON style), so the committed files
 * pass `biome check` and are byte-identical to what this script writes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as z from 'zod';
import { detailSchemaFor, EVENT_TYPES, EVENTS, type EventType } from '../lambdas/shared/contract/events';
import { commandLine, defineCommand } from './ops/cli';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMA_DIR = fileURLToPath(new URL('../lambdas/shared/contract/events/', import.meta.url));

export const schemaFileOf = (type: EventType): string => `${SCHEMA_DIR}${type}.schema.json`;
export const schemaIdOf = (type: EventType): string => `https://temba.app/schemas/payments/${type}.json`;

/** What each event means for ticketing: the schema's description. */
const MEANING: Record<EventType, string> = {
  'payment.completed':
    'The customer paid: issue the ticket, then acknowledge with POST /payments/{orderId}/fulfilment. ' +
    '`detail.held`: above the review threshold, do not issue it until approved. `detail.late`: paid after the ' +
    'order had expired or been cancelled.',
  'payment.failed': 'PayDunya reported the payment failed: no money moved; release the reservation.',
  'payment.cancelled':
    'The invoice was cancelled before it was paid: no money moved; release the reservation. A late payment may ' +
    'still follow (payment.completed with detail.late).',
  'payment.expired':
    'The invoice was never paid in time: no money moved; release the reservation. A late payment may still ' +
    'follow (payment.completed with detail.late).',
  'refund.succeeded':
    'A refund was paid back to the customer through PayDunya. `detail.refundedAmount` is the total paid back; the ' +
    'order is REFUNDED once it covers the payment.',
  'refund.failed':
    'A refund could not be paid back (`detail.outcome` says why): the customer is still owed `detail.refundAmount`.',
  'refund.manual_required':
    'A refund cannot be paid back automatically (`detail.outcome` says why): a person pays it back.',
};

/** The EventBridge envelope of one event type, its `detail` being the contract's zod schema. */
export const envelopeSchemaFor = (type: EventType) =>
  z.looseObject({
    version: z.string().optional().describe('EventBridge\'s envelope version ("0"); absent in local mode.'),
    id: z
      .string()
      .min(1)
      .describe(
        "EventBridge's id of this event (locally, detail.eventId): a re-published event gets a new one on AWS. " +
          'Deduplicate on detail.eventId.',
      ),
    source: z.literal(EVENTS.source),
    'detail-type': z.literal(type),
    account: z.string().optional().describe('The AWS account of the bus; absent in local mode.'),
    time: z.iso
      .datetime()
      .describe('When the change committed: detail.occurredAt (EventBridge keeps seconds).'),
    region: z.string().optional().describe('The AWS region of the bus; absent in local mode.'),
    resources: z.array(z.string()).optional().describe('Empty: payment events name no AWS resource.'),
    detail: detailSchemaFor(type),
  });

/** The JSON Schema document of one event type. */
export const eventSchemaOf = (type: EventType): Record<string, unknown> => {
  const { $schema, ...schema } = z.toJSONSchema(envelopeSchemaFor(type), { target: 'draft-2020-12' });
  return {
    $schema,
    $id: schemaIdOf(type),
    title: `${type} (source ${EVENTS.source})`,
    description:
      `${MEANING[type]} Delivered at least once and in no guaranteed order: deduplicate by detail.eventId, ` +
      'order the events of one order by detail.version. Never carries contact data (e-mail, phone, name).',
    ...schema,
  };
};

const biomeBin = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');

/** JSON text as the repo's Biome configuration formats it (for the file at `path`). */
export const formatJson = (value: unknown, path: string): string => {
  const result = spawnSync(
    process.execPath,
    [biomeBin, 'format', `--stdin-file-path=${relative(ROOT, path)}`],
    {
      cwd: ROOT,
      input: `${JSON.stringify(value, null, 2)}\n`,
      encoding: 'utf8',
    },
  );
  if (result.status !== 0 || !result.stdout) {
    throw new Error(
      `biome could not format ${path}: ${result.stderr || result.error?.message || 'no output'}`,
    );
  }
  return result.stdout;
};

/** Every schema file, as this script writes it. */
export const eventSchemaFiles = (): {
  readonly type: EventType;
  readonly path: string;
  readonly text: string;
}[] =>
  EVENT_TYPES.map((type) => {
    const path = schemaFileOf(type);
    return { type, path, text: formatJson(eventSchemaOf(type), path) };
  });

const readOrNull = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

const SCHEMAS = defineCommand({
  name: 'npm run schemas',
  summary:
    'Writes the JSON Schema of every payment event (lambdas/shared/contract/events/<type>.schema.json) from the ' +
    'zod definitions in lambdas/shared/contract/events.ts.',
  options: {
    check: {
      type: 'boolean',
      description: 'write nothing; exit 1 naming every file that differs from what would be written',
    },
  },
});

const main = (check: boolean): number => {
  let differing = 0;
  if (!check) mkdirSync(SCHEMA_DIR, { recursive: true });
  for (const { path, text } of eventSchemaFiles()) {
    const name = relative(ROOT, path);
    const committed = readOrNull(path);
    if (committed === text) {
      console.log(`✔ ${name}`);
      continue;
    }
    if (check) {
      differing++;
      console.error(
        `✘ ${name} ${committed === null ? 'is missing' : 'differs from the zod definitions'}: run npm run schemas`,
      );
      continue;
    }
    writeFileSync(path, text);
    console.log(`✎ ${name} written`);
  }
  return differing > 0 ? 1 : 0;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(commandLine(SCHEMAS).check);
}
