import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A stand-in for the merchant's IPN endpoint: records what arrives, answers what it is told to. */
export interface IpnReceiver {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Status (and optional headers) for the next answers; default 200 with an empty body, as the PHP plugins do. */
  respondWith(status: number, headers?: Record<string, string>): void;
  clear(): void;
  stop(): Promise<void>;
}

export async function startIpnReceiver(): Promise<IpnReceiver> {
  const received: ReceivedRequest[] = [];
  let answer: { status: number; headers: Record<string, string> } = { status: 200, headers: {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: { ...req.headers },
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(answer.status, { 'Content-Length': 0, ...answer.headers });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    respondWith: (status, headers = {}) => {
      answer = { status, headers };
    },
    clear: () => {
      received.length = 0;
      answer = { status: 200, headers: {} };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
