import { Agent, request } from 'node:http';

/**
 * GET on an AWS Lambda extension's local HTTP endpoint (Parameters and Secrets on 2773, AppConfig on 2772). Plain
 * `node:http`, not `fetch`: nothing more to load at cold start.
 */

/** The answer of an extension; any status, the caller decides what it means. */
export interface ExtensionAnswer {
  readonly status: number;
  readonly body: string;
}

/** The extension did not answer within the timeout, or refused the connection (not running, wrong port). */
export class ExtensionUnreachableError extends Error {
  override readonly name = 'ExtensionUnreachableError';
}

/** Extensions answer a few KiB (a secret, a flags document); anything far larger is not theirs. */
const MAX_ANSWER_BYTES = 256 * 1024;

// A new loopback connection per request (a fraction of a millisecond): a kept-alive one could have been closed by
// the extension while the environment was frozen, and a request on it would fail for nothing.
const agent = new Agent({ keepAlive: false });

/** `url` must be `http://localhost:<port>/...`; `timeoutMs` covers connect, the extension's own fetch and the body. */
export const extensionGet = (
  url: string,
  options: { readonly headers?: Readonly<Record<string, string>>; readonly timeoutMs: number },
): Promise<ExtensionAnswer> =>
  new Promise((resolve, reject) => {
    // One deadline for the whole exchange (a socket timeout would only bound the gaps between packets).
    const deadline = setTimeout(
      () => req.destroy(new ExtensionUnreachableError(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const settle =
      <T>(fn: (value: T) => void) =>
      (value: T) => {
        clearTimeout(deadline);
        fn(value);
      };
    const ok = settle(resolve);
    const fail = settle(reject);
    const req = request(url, { method: 'GET', agent, headers: { ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          req.destroy(new ExtensionUnreachableError(`extension answer over ${MAX_ANSWER_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => fail(new ExtensionUnreachableError(error.message)));
    });
    req.on('error', (error) =>
      fail(error instanceof ExtensionUnreachableError ? error : new ExtensionUnreachableError(error.message)),
    );
    req.end();
  });

/** The port an extension listens on: its variable when set (the CDK sets it), else the extension's documented default. */
export const extensionPort = (value: string | undefined, fallback: number): number => {
  if (value === undefined || value.trim() === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`Extension HTTP port ${JSON.stringify(value)} is not a port number`);
  }
  return port;
};
