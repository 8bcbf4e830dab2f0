import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/**
 * An async request handler as Node's request listener, for the local fakes of third
 * parties. Node ignores the promise a listener returns, so a handler that threw would be an
 * unhandled rejection that ends the test process; here it answers 500 with the error, and
 * the test that met the fake's failure shows it.
 */
export function asyncListener(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>,
): RequestListener {
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`the test fake failed: ${String(error)}`);
    });
  };
}
