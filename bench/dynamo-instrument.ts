import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type CapacityMode = 'TOTAL' | 'INDEXES';

export interface DynamoCall {
  /** `TransactWriteItemsCommand`, `GetItemCommand`… */
  readonly command: string;
  readonly kind: 'read' | 'write';
  /** Inside `client.send`: marshalling, HTTP round trip, unmarshalling, retries. */
  readonly ms: number;
  /** From ReturnConsumedCapacity, when asked for (one entry per table touched). */
  readonly consumed: readonly ConsumedCapacity[];
  /** The command's input as the store passed it (document form), for the size-rule check. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly failed: boolean;
}

const READS = /^(Get|BatchGet|TransactGet|Query|Scan)/;

/** Whether the command reads or writes; what its units are billed as. */
export const kindOf = (command: string): 'read' | 'write' => (READS.test(command) ? 'read' : 'write');

export interface InstrumentOptions {
  /** Sets `ReturnConsumedCapacity` on every command (the store code is not changed). */
  readonly capacity?: CapacityMode;
  readonly onCall: (call: DynamoCall) => void;
  /** Runs around each command (for the size-rule check's before/after reads). */
  readonly around?: (
    command: string,
    input: Record<string, unknown>,
    send: () => Promise<unknown>,
  ) => Promise<unknown>;
}

/**
 * One middleware on the bench's own client, outermost (initialize step, high priority): times each command and,
 * when asked, sets `ReturnConsumedCapacity` on its input and reads `ConsumedCapacity` from its output.
 */
export const instrument = <C extends DynamoDBClient | DynamoDBDocumentClient>(
  client: C,
  options: InstrumentOptions,
): C => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown');
      const input = args.input as Record<string, unknown>;
      if (options.capacity) input.ReturnConsumedCapacity = options.capacity;
      const started = performance.now();
      let output: unknown;
      let failed = false;
      try {
        const send = () => next(args);
        const result = options.around ? await options.around(command, input, send) : await send();
        output = (result as { output?: unknown }).output;
        return result as Awaited<ReturnType<typeof next>>;
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        const ms = performance.now() - started;
        const raw = (output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] } | undefined)
          ?.ConsumedCapacity;
        const consumed = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
        options.onCall({ command, kind: kindOf(command), ms, consumed, input, failed });
      }
    },
    { step: 'initialize', priority: 'high', name: 'benchInstrument' },
  );
  return client;
};

export const unitsOf = (call: DynamoCall): number =>
  call.consumed.reduce((total, entry) => total + (entry.CapacityUnits ?? 0), 0);
