import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { PaydunyaKeys } from '../lambdas/shared/contract/secrets';
import type { StoreInfo } from '../lambdas/shared/contract/store-info';
import { newOrderId } from '../lambdas/shared/domain/ids';
import type { HttpFetch } from '../lambdas/shared/paydunya/keep-alive-fetch';
import type { ApiEvent, ApiResult } from '../lambdas/shared/platform/http';

export interface BaselineDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The same transport as the real client (a keep-alive pool of its own). */
  readonly fetch: HttpFetch;
  /** PayDunya's API root for the mode (the simulator's). */
  readonly apiBase: string;
  readonly keys: PaydunyaKeys;
  readonly publicBaseUrl: string;
  readonly returnUrl: string;
  readonly cancelUrl: string;
  readonly store: StoreInfo;
}

interface Body {
  amount: number;
  currency: string;
  customer_email: string;
  customer_phone: string;
  customer_name?: string;
  description?: string;
  items: { name: string; quantity: number; unit_price: number }[];
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * The unavoidable work of a payment and nothing else, to compare the handlers with: the same DynamoDB writes of
 * the order's state (CREATED, then PENDING with the token, then the confirmed status) and the same PayDunya
 * create and confirm calls with the same bodies over the same transport. No validation (neither of the request
 * nor of PayDunya's answers), no idempotency record, no audit events, no counters or limits, no encryption or
 * hashing of the customer's details, no IPN authentication, no flags, no metrics or logs.
 */
export const createBaseline = (deps: BaselineDeps) => {
  const { doc, tableName } = deps;
  const keyHeaders = {
    'PAYDUNYA-MASTER-KEY': deps.keys.master_key,
    'PAYDUNYA-PRIVATE-KEY': deps.keys.test_private_key,
    'PAYDUNYA-TOKEN': deps.keys.test_token,
    Accept: 'application/json',
  };
  const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}`, sk: 'ORDER' });

  return {
    async create(event: ApiEvent): Promise<ApiResult> {
      const body = JSON.parse(event.body ?? '{}') as Body;
      const orderId = newOrderId(new Date());
      const now = new Date().toISOString();
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            ...orderKey(orderId),
            orderId,
            status: 'CREATED',
            amount: body.amount,
            currency: body.currency,
            items: body.items,
            customer: { email: body.customer_email, phone: body.customer_phone, name: body.customer_name },
            createdAt: now,
            updatedAt: now,
          },
        }),
      );
      // The body the PayDunya client sends (paydunya.client.ts), built without any checks.
      const invoice = {
        invoice: {
          items: Object.fromEntries(
            body.items.map((item, index) => [
              `item_${index}`,
              { ...item, total_price: item.quantity * item.unit_price, description: '' },
            ]),
          ),
          total_amount: body.amount,
          description: body.description ?? `Temba order ${orderId}`,
          customer: {
            name: body.customer_name,
            email: body.customer_email,
            phone: body.customer_phone.replace(/^\+226/, ''),
          },
        },
        store: deps.store,
        custom_data: { order_id: orderId },
        actions: {
          callback_url: `${deps.publicBaseUrl}/webhooks/paydunya?o=${orderId}`,
          return_url: deps.returnUrl,
          cancel_url: deps.cancelUrl,
        },
      };
      const response = await deps.fetch(`${deps.apiBase}/checkout-invoice/create`, {
        method: 'POST',
        headers: { ...keyHeaders, ...JSON_HEADERS },
        body: JSON.stringify(invoice),
      });
      const answer = JSON.parse(await response.text()) as { token: string; response_text: string };
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          UpdateExpression: 'SET #status = :status, #token = :token, checkoutUrl = :url, updatedAt = :at',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: {
            ':status': 'PENDING',
            ':token': answer.token,
            ':url': answer.response_text,
            ':at': new Date().toISOString(),
          },
        }),
      );
      return {
        statusCode: 201,
        headers: JSON_HEADERS,
        body: JSON.stringify({
          orderId,
          status: 'PENDING',
          checkoutUrl: answer.response_text,
          token: answer.token,
        }),
      };
    },

    async webhook(event: ApiEvent): Promise<ApiResult> {
      const form = new URLSearchParams(event.body ?? '');
      const token = form.get('data[invoice][token]') ?? '';
      const orderId = event.queryStringParameters?.o ?? '';
      const response = await deps.fetch(
        `${deps.apiBase}/checkout-invoice/confirm/${encodeURIComponent(token)}`,
        { method: 'GET', headers: keyHeaders },
      );
      const answer = JSON.parse(await response.text()) as { status: string };
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: orderKey(orderId),
          UpdateExpression: 'SET #status = :status, updatedAt = :at',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':status': answer.status.toUpperCase(),
            ':at': new Date().toISOString(),
          },
        }),
      );
      return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify({ received: true }) };
    },
  };
};
