import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  detailSchemaFor,
  EVENT_TYPES,
  EVENTS,
  type EventType,
  type PaymentEvent,
  REFUND_EVENT_TYPES,
} from '../../lambdas/shared/contract/events';
import { eventsOfChange } from '../../lambdas/shared/domain/payment-events';
import { eventSchemaFiles, SCHEMA_DIR, schemaFileOf, schemaIdOf } from '../../scripts/event-schemas';

/**
 * The JSON Schemas of the payment events (lambdas/shared/contract/events/*.schema.json) are generated from the zod
 * definitions by `npm run schemas`: they must not drift from them, must accept what the publisher sends, and must
 * never describe contact data.
 */

type JsonSchema = Record<string, unknown> & { properties: Record<string, JsonSchema> };

const committed = (type: EventType): string => readFileSync(schemaFileOf(type), 'utf8');
const schemaOf = (type: EventType): JsonSchema => JSON.parse(committed(type)) as JsonSchema;
const isRefund = (type: EventType) => (REFUND_EVENT_TYPES as readonly string[]).includes(type);

/** A plausible event of each type, as a rule target receives it from EventBridge. */
const sampleOf = (type: EventType) => {
  const common = {
    eventId: '01JQ7ZK3M4N5P6Q7R8S9T0V1W2',
    schemaVersion: 1,
    orderId: '01JQ7Z8Y9X0W1V2T3S4R5Q6P7N',
    version: 4,
    reference: 'RES_2026-0142',
    metadata: { eventSlug: 'fespaco-closing', seats: '2' },
    status: 'COMPLETED',
    amount: 15000,
    currency: 'XOF',
    paymentMethod: 'orange-money-burkina',
    occurredAt: '2026-03-01T18:04:05.123Z',
  };
  const detail = isRefund(type)
    ? {
        ...common,
        status: type === 'refund.succeeded' ? 'REFUNDED' : 'COMPLETED',
        refundId: 'RF01JQ80A1B2C3D4E5F6G7H8J9K0',
        refundAmount: 15000,
        refundedAmount: type === 'refund.succeeded' ? 15000 : 0,
        trigger: 'fulfilment-failed',
        ...(type === 'refund.succeeded' ? {} : { outcome: 'insufficient_balance' }),
      }
    : {
        ...common,
        status: { 'payment.completed': 'COMPLETED', 'payment.failed': 'FAILED' }[type as string] ?? 'EXPIRED',
        ...(type === 'payment.completed' ? { late: true, held: true } : {}),
      };
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': type,
    source: 'temba.payments',
    account: '123456789012',
    time: '2026-03-01T18:04:05Z',
    region: 'eu-west-3',
    resources: [],
    detail,
  };
};

/** Every property name a schema describes, at any depth. */
const propertyNames = (schema: unknown): string[] => {
  if (Array.isArray(schema)) return schema.flatMap(propertyNames);
  if (!schema || typeof schema !== 'object') return [];
  return Object.entries(schema).flatMap(([key, value]) =>
    key === 'properties' && value && typeof value === 'object'
      ? [...Object.keys(value), ...propertyNames(Object.values(value))]
      : propertyNames(value),
  );
};

describe('payment event JSON Schemas', () => {
  it('there is one schema file per event type, and nothing else in the folder', () => {
    expect(readdirSync(SCHEMA_DIR).sort()).toEqual(EVENT_TYPES.map((type) => `${type}.schema.json`).sort());
  });

  it.each(eventSchemaFiles())(
    '$type: the committed file is what `npm run schemas` writes now',
    ({ path, text }) => {
      expect(
        readFileSync(path, 'utf8'),
        `${path} drifted from lambdas/shared/contract/events.ts: run npm run schemas`,
      ).toBe(text);
    },
  );

  it.each(EVENT_TYPES)('%s: names itself and describes the EventBridge envelope', (type) => {
    const schema = schemaOf(type);
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: schemaIdOf(type),
      title: expect.stringContaining(type),
      description: expect.stringContaining('detail.eventId'),
      type: 'object',
      required: ['id', 'source', 'detail-type', 'time', 'detail'],
    });
    expect(schema.properties.source).toMatchObject({ const: EVENTS.source });
    expect(schema.properties['detail-type']).toMatchObject({ const: type });
    expect(schema.properties.time).toMatchObject({ format: 'date-time' });
    const detail = z.toJSONSchema(detailSchemaFor(type), { target: 'draft-2020-12' });
    expect(schema.properties.detail).toEqual(
      Object.fromEntries(Object.entries(detail).filter(([key]) => key !== '$schema')),
    );
  });

  it.each(EVENT_TYPES)(
    "%s: a sample event passes the contract's zod schema and the file's schema",
    (type) => {
      const sample = sampleOf(type);
      const file = schemaOf(type);
      expect(detailSchemaFor(type).parse(sample.detail)).toEqual(sample.detail);
      expect(z.fromJSONSchema(file.properties.detail as never).parse(sample.detail)).toEqual(sample.detail);
      expect(z.fromJSONSchema(file as never).parse(sample)).toEqual(sample);
      // What a local sink receives: the five fields of PaymentEvent, nothing of AWS.
      const { id, source, time, detail } = sample;
      const local = { id, source, 'detail-type': type, time, detail };
      expect(z.fromJSONSchema(file as never).safeParse(local).success).toBe(true);
    },
  );

  it.each(EVENT_TYPES)('%s: the file refuses what the contract refuses', (type) => {
    const file = z.fromJSONSchema(schemaOf(type) as never);
    const sample = sampleOf(type);
    const other = EVENT_TYPES.find((candidate) => candidate !== type) as EventType;
    for (const envelope of [
      { ...sample, 'detail-type': other },
      { ...sample, source: 'temba.tickets' },
      { ...sample, time: 'yesterday' },
      { ...sample, detail: undefined },
    ]) {
      expect(file.safeParse(envelope).success, JSON.stringify(envelope)).toBe(false);
    }
    const { eventId: _, ...withoutEventId } = sample.detail;
    for (const detail of [
      { ...sample.detail, customerEmail: 'awa@example.bf' },
      { ...sample.detail, schemaVersion: 2 },
      { ...sample.detail, amount: 1500.5 },
      { ...sample.detail, currency: 'EUR' },
      { ...sample.detail, status: 'PAID' },
      withoutEventId,
      // The other family's detail: a payment detail lacks refundId; a refund detail has fields a payment has not.
      sampleOf(isRefund(type) ? 'payment.failed' : 'refund.failed').detail,
    ]) {
      expect(detailSchemaFor(type).safeParse(detail).success, JSON.stringify(detail)).toBe(false);
      expect(file.safeParse({ ...sample, detail }).success, JSON.stringify(detail)).toBe(false);
    }
  });

  it('every event the publisher derives from an order write fits its committed schema', () => {
    const at = (minute: number) => `2026-03-01T18:${String(minute).padStart(2, '0')}:00.000Z`;
    const base = {
      pk: 'ORDER#01JQ7Z8Y9X0W1V2T3S4R5Q6P7N',
      entity: 'order',
      orderId: '01JQ7Z8Y9X0W1V2T3S4R5Q6P7N',
      amount: 15000,
      currency: 'XOF',
      mode: 'test',
      items: [{ name: 'Concert', quantity: 1, unit_price: 15000 }],
      customer: { email: 'a***@example.bf', phone: '+226******56' },
      phoneHash: 'h',
      paymentMethod: 'orange-money-burkina',
      reference: 'RES_1',
      metadata: { seats: '1' },
      createdAt: at(0),
      updatedAt: at(0),
    };
    const audit = (version: number, from: string | null, to: string, refund?: object) => ({
      id: `AUD${version}`,
      version,
      at: at(version),
      actor: 'service',
      from,
      to,
      reason: 'test',
      ...(refund ? { refund } : {}),
    });
    const refund = (id: string, status: string, outcomeCode?: string) => ({
      refundId: id,
      status,
      amount: 5000,
      reason: 'r',
      trigger: 'request',
      requestedBy: 'support',
      requestedAt: at(5),
      updatedAt: at(6),
      ...(outcomeCode ? { outcomeCode, outcome: 'in words' } : {}),
    });
    const writes: Record<string, unknown>[] = [
      {
        ...base,
        status: 'COMPLETED',
        late: true,
        audit: [audit(1, null, 'CREATED'), audit(2, 'PENDING', 'COMPLETED')],
      },
      { ...base, status: 'FAILED', audit: [audit(2, 'PENDING', 'FAILED')] },
      { ...base, status: 'CANCELLED', audit: [audit(2, 'PENDING', 'CANCELLED')] },
      { ...base, status: 'EXPIRED', audit: [audit(2, 'PENDING', 'EXPIRED')] },
      {
        ...base,
        status: 'COMPLETED',
        refundedAmount: 5000,
        refunds: {
          RF1: refund('RF1', 'SUCCEEDED'),
          RF2: refund('RF2', 'FAILED', 'disbursement_failed'),
          RF3: refund('RF3', 'MANUAL', 'card_payment'),
        },
        audit: [
          audit(4, 'COMPLETED', 'COMPLETED', { refundId: 'RF1', from: 'SUBMITTED', to: 'SUCCEEDED' }),
          audit(5, 'COMPLETED', 'COMPLETED', { refundId: 'RF2', from: 'SUBMITTED', to: 'FAILED' }),
          audit(6, 'COMPLETED', 'COMPLETED', { refundId: 'RF3', from: 'REQUESTED', to: 'MANUAL' }),
        ],
      },
    ];
    const events: PaymentEvent[] = writes.flatMap((write) => eventsOfChange(undefined, write));
    expect(events.map((event) => event['detail-type']).sort()).toEqual([...EVENT_TYPES].sort());
    for (const event of events) {
      const file = z.fromJSONSchema(schemaOf(event['detail-type']) as never);
      const result = file.safeParse(event);
      expect(result.success, `${event['detail-type']}: ${result.error?.message}`).toBe(true);
    }
  });

  it('no schema has a property for contact data (e-mail, phone, name, customer)', () => {
    for (const type of EVENT_TYPES) {
      const names = propertyNames(schemaOf(type));
      expect(names).toContain('orderId');
      expect(
        names.filter((name) => /e-?mail|phone|msisdn|name|customer/i.test(name)),
        type,
      ).toEqual([]);
      expect(schemaOf(type).properties.detail).toMatchObject({ additionalProperties: false });
    }
  });
});
