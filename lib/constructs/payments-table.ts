import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { type KeyAttribute, TABLE } from '../../lambdas/shared/contract/table';

export interface PaymentsTableProps {
  readonly stage: string;
  readonly key: IKey;
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

const attribute = (key: KeyAttribute): Attribute => ({
  name: key.name,
  type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
});

/**
 * The single payments table, built from the shared definition (`TABLE`) that local mode uses too: on-demand,
 * point-in-time recovery, encrypted with the stage's table key, TTL on idempotency records, and a stream of every
 * committed write (old and new image, `TABLE.stream`): the outbox the event publisher reads. Stream records are
 * encrypted with the table key too, and kept 24 hours.
 */
export class PaymentsTable extends Construct {
  readonly table: TableV2;
  /** ARN of the table's stream (DynamoDB Streams), what the event publisher's mapping reads. */
  readonly tableStreamArn: string;

  constructor(scope: Construct, id: string, props: PaymentsTableProps) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      tableName: TABLE.nameFor(props.stage),
      partitionKey: attribute(TABLE.partitionKey),
      sortKey: attribute(TABLE.sortKey),
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.customerManagedKey(props.key),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
      timeToLiveAttribute: TABLE.ttlAttribute,
      dynamoStream: StreamViewType[TABLE.stream],
      globalSecondaryIndexes: Object.values(TABLE.indexes).map((index) => ({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: attribute(index.sortKey),
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: [...index.projectedAttributes],
      })),
    });
    const streamArn = this.table.tableStreamArn;
    if (!streamArn) throw new Error('the payments table has no stream');
    this.tableStreamArn = streamArn;
  }
}
