import { appendFile } from 'node:fs/promises';
import { DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { publishStreamRecords, type StreamPublisherDeps } from '../lambdas/shared/platform/stream-publisher';

export interface StreamPollerOptions {
  readonly clientConfig: DynamoDBClientConfig;
  readonly tableName: string;
  readonly deps: StreamPublisherDeps;
  /** Pause between polls when the stream had nothing new (ms). */
  readonly idleMs?: number;
  /** Deliveries of a record whose events the sink did not take, before it goes to the dead-letter file. */
  readonly maxAttempts?: number;
  /** Records given up on, one JSON per line (the DLQ of the event source mapping on AWS). */
  readonly deadLetterFile?: string;
  readonly log?: (line: string) => void;
}

export interface StreamPoller {
  /** Stream records handed to the publisher so far (order items only). */
  delivered(): number;
  stop(): Promise<void>;
}

interface Shard {
  iterator?: string;
  lastSequence?: string;
  closed: boolean;
}

/**
 * The Lambda event source mapping, emulated over DynamoDB Local's own stream: the same publisher code
 * (`publishStreamRecords`) gets the same records, filtered to order items as the mapping's filter does on AWS.
 * A record the publisher reports as failed is delivered again (with backoff), up to `maxAttempts`, then written
 * to the dead-letter file; the records after it wait, as on a real shard.
 */
export const startStreamPoller = async (options: StreamPollerOptions): Promise<StreamPoller> => {
  const dynamo = new DynamoDBClient(options.clientConfig);
  const streams = new DynamoDBStreamsClient(options.clientConfig);
  const table = await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
  dynamo.destroy();
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} has no stream`);
  const idleMs = options.idleMs ?? 200;
  const maxAttempts = options.maxAttempts ?? 5;
  const shards = new Map<string, Shard>();
  let stopped = false;
  let delivered = 0;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const discoverShards = async () => {
    let start: string | undefined;
    do {
      const page = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      );
      for (const shard of page.StreamDescription?.Shards ?? []) {
        if (shard.ShardId && !shards.has(shard.ShardId)) shards.set(shard.ShardId, { closed: false });
      }
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start);
  };

  const iteratorOf = async (shardId: string, shard: Shard) => {
    const answer = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(shard.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return answer.ShardIterator;
  };

  const deliver = async (records: DynamoDBRecord[]) => {
    let pending = records;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const { batchItemFailures } = await publishStreamRecords(pending, options.deps);
      delivered += pending.length;
      if (batchItemFailures.length === 0) return;
      const firstFailed = pending.findIndex(
        (record) => record.dynamodb?.SequenceNumber === batchItemFailures[0]?.itemIdentifier,
      );
      pending = pending.slice(Math.max(firstFailed, 0));
      if (attempt >= maxAttempts || stopped) {
        options.log?.(`${pending.length} stream record(s) given up after ${attempt} deliveries`);
        if (options.deadLetterFile) {
          await appendFile(options.deadLetterFile, pending.map((r) => `${JSON.stringify(r)}\n`).join(''));
        }
        return;
      }
      await pause(Math.min(5_000, 100 * 2 ** attempt));
    }
  };

  const pollShard = async (shardId: string, shard: Shard): Promise<number> => {
    shard.iterator ??= await iteratorOf(shardId, shard);
    if (!shard.iterator) {
      shard.closed = true;
      return 0;
    }
    let page: GetRecordsCommandOutput;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 100 }));
    } catch (error) {
      if (error instanceof Error && error.name === 'ExpiredIteratorException') {
        shard.iterator = undefined;
        return 0;
      }
      throw error;
    }
    const records = (page.Records ?? []) as StreamRecord[];
    const orders = records
      .filter(
        (record) =>
          (record.eventName === 'INSERT' || record.eventName === 'MODIFY') &&
          String(record.dynamodb?.Keys?.pk?.S ?? '').startsWith('ORDER#'),
      )
      .map((record) => record as unknown as DynamoDBRecord);
    if (orders.length > 0) await deliver(orders);
    const last = records.at(-1)?.dynamodb?.SequenceNumber;
    if (last) shard.lastSequence = last;
    shard.iterator = page.NextShardIterator;
    if (!shard.iterator) shard.closed = true;
    return records.length;
  };

  const loop = (async () => {
    while (!stopped) {
      let seen = 0;
      try {
        await discoverShards();
        for (const [shardId, shard] of shards) {
          if (!shard.closed && !stopped) seen += await pollShard(shardId, shard);
        }
      } catch (error) {
        options.log?.(`stream poll failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (seen === 0 && !stopped) await pause(idleMs);
    }
  })();

  return {
    delivered: () => delivered,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      streams.destroy();
    },
  };
};
