import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PaymentEvent } from '../../lambdas/shared/contract/events';

/** A ticketing stand-in on loopback: records every event POSTed to it, and can refuse the next ones. */
export interface EventReceiver {
  readonly url: string;
  /** Every delivery received, redeliveries included, in arrival order. */
  received(): PaymentEvent[];
  /** The next `n` deliveries are answered 503: recorded (ticketing got them) but not acknowledged, so redelivered. */
  failNext(n: number): void;
  /** Waits until `predicate` holds over what was received (polls; fails after `timeoutMs`). */
  waitFor(predicate: (events: PaymentEvent[]) => boolean, timeoutMs?: number): Promise<PaymentEvent[]>;
  stop(): Promise<void>;
}

export const startEventReceiver = async (): Promise<EventReceiver> => {
  const received: PaymentEvent[] = [];
  let failing = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PaymentEvent);
      if (failing > 0) {
        failing--;
        response.writeHead(503).end();
        return;
      }
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    received: () => [...received],
    failNext: (n) => {
      failing = n;
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate([...received])) {
        if (Date.now() > deadline) {
          throw new Error(
            `events not received in time; got ${JSON.stringify(received.map((e) => e['detail-type']))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return [...received];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
