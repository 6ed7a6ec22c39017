import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';

/** The part of `fetch` the PayDunya client uses; the global `fetch` fits it too (tests may pass one in). */
export type HttpFetch = (url: string, init: RequestInit) => Promise<Response>;

export interface KeepAliveFetchOptions {
  /** Connections per origin at most; more requests wait in the agent's queue (inside their own timeout). */
  readonly maxSockets?: number;
  /** Idle connections kept per origin. */
  readonly maxFreeSockets?: number;
  /**
   * An idle connection is closed after this long, and 1 s before the server's own `Keep-Alive: timeout=N`
   * when it announces a shorter one (Node does that by itself).
   */
  readonly idleTimeoutMs?: number;
  /** Answers larger than this are cut off: PayDunya's are a few KiB. */
  readonly maxResponseBytes?: number;
}

export interface ConnectionStats {
  /** Requests sent. */
  readonly requests: number;
  /** TCP (TLS) connections opened for them. */
  readonly connectionsOpened: number;
  /** Requests that went out on a connection an earlier request had opened. */
  readonly reusedConnections: number;
}

export interface KeepAliveFetch extends HttpFetch {
  stats(): ConnectionStats;
  /** Closes idle connections (for scripts and tests that end; on Lambda the pool lives as long as the container). */
  close(): void;
}

/**
 * Defaults chosen for PayDunya from a Lambda container or the local server:
 * - idle 4 s: the same as undici's (global fetch's) default, under Apache's 5 s default, so a pooled connection is
 *   very unlikely to be one the server already closed. A create sent on such a stale connection fails and is never
 *   retried (see the client), so a short idle time costs a TLS handshake now and then, never a lost request;
 * - 20 connections per origin: one Lambda container makes one call at a time; the local server under the load
 *   test makes ten.
 */
export const KEEP_ALIVE_DEFAULTS = {
  maxSockets: 20,
  maxFreeSockets: 10,
  idleTimeoutMs: 4_000,
  maxResponseBytes: 1024 * 1024,
} as const;

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

const toHeaders = (raw: IncomingHttpHeaders): Headers => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
};

const abortReason = (signal: AbortSignal): Error =>
  signal.reason instanceof Error ? signal.reason : new DOMException('The request was aborted', 'AbortError');

/**
 * A small `fetch` over node:http(s) Agents with keep-alive, so connection reuse is explicit, bounded and counted.
 * Node 20's global fetch also keeps connections alive, but its pool (undici's) can only be configured or observed
 * through the `undici` package, which this project does not ship. Redirects are never followed; the whole body is
 * read before the promise resolves, so the caller's AbortSignal (its timeout) covers the answer too.
 */
export const createKeepAliveFetch = (options: KeepAliveFetchOptions = {}): KeepAliveFetch => {
  const settings = { ...KEEP_ALIVE_DEFAULTS, ...options };
  const agentOptions = {
    keepAlive: true,
    maxSockets: settings.maxSockets,
    maxFreeSockets: settings.maxFreeSockets,
    timeout: settings.idleTimeoutMs,
    scheduling: 'lifo' as const,
  };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  const seen = new WeakSet<Socket>();
  let requests = 0;
  let connectionsOpened = 0;
  let reusedConnections = 0;

  const doFetch = (input: string, init: RequestInit): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input);
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:') {
        reject(new TypeError(`Unsupported protocol ${url.protocol}`));
        return;
      }
      if (init.body != null && typeof init.body !== 'string') {
        reject(new TypeError('Only string bodies are supported'));
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const body = init.body ?? undefined;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));

      let settled = false;
      const finish = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const fail = (error: Error) => finish(() => reject(error));

      const request = (secure ? httpsRequest : httpRequest)(url, {
        method: init.method ?? 'GET',
        headers,
        agent: secure ? httpsAgent : httpAgent,
      });
      function onAbort() {
        const reason = abortReason(signal as AbortSignal);
        // Destroying the request destroys its socket: a timed-out connection never goes back to the pool.
        request.destroy(reason);
        fail(reason);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      requests++;
      request.on('socket', (socket) => {
        if (seen.has(socket)) {
          reusedConnections++;
        } else {
          seen.add(socket);
          connectionsOpened++;
        }
      });
      request.on('error', fail);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > settings.maxResponseBytes) {
            const error = new Error(`Answer larger than ${settings.maxResponseBytes} bytes`);
            request.destroy(error);
            fail(error);
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () =>
          finish(() => {
            const status = response.statusCode ?? 0;
            try {
              resolve(
                new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
                  status,
                  statusText: response.statusMessage ?? '',
                  headers: toHeaders(response.headers),
                }),
              );
            } catch (error) {
              // A status outside 200..599 cannot be a Response: as unusable as a broken connection.
              reject(error);
            }
          }),
        );
        // The connection closed before the whole answer arrived.
        response.on('close', () => {
          if (!response.complete) fail(new Error('Connection closed before the answer was complete'));
        });
      });
      request.end(body);
    });

  return Object.assign(doFetch, {
    stats: (): ConnectionStats => ({ requests, connectionsOpened, reusedConnections }),
    close: () => {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  });
};
