import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { formatError } from '@shop/errors';
import type { Logger } from '@shop/logging';

/** What a client can do about an HTTP-level refusal, by body-parser's error type. */
const REQUEST_PROBLEMS: Record<
  string,
  (error: { limit?: number; charset?: string; encoding?: string }) => string
> = {
  'entity.too.large': (e) => `The request body is larger than the limit of ${e.limit} bytes.`,
  'entity.parse.failed': () => 'The request body is not valid JSON.',
  'entity.verify.failed': () => 'The request body was refused.',
  'request.aborted': () => 'The request body ended before its announced length.',
  'request.size.invalid': () => 'The request body does not match its Content-Length.',
  'charset.unsupported': (e) =>
    `The charset ${JSON.stringify(e.charset ?? '')} is not supported; send UTF-8 JSON.`,
  'encoding.unsupported': (e) =>
    `The Content-Encoding ${JSON.stringify(e.encoding ?? '')} is not supported; send identity, gzip, deflate or br.`,
};

/** A GraphQL-shaped error body, as every GraphQL client can read it. */
function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/**
 * The BAD_REQUEST answer to a body refused before GraphQL saw it, by body-parser's error
 * type (`problem`), with what the client can do about it: what jsonErrorHandler sends, for
 * servers that read bodies themselves.
 */
export function requestProblemBody(
  problem: string,
  details: { limit?: number; charset?: string; encoding?: string } = {},
) {
  const describe = REQUEST_PROBLEMS[problem];
  return errorBody(
    describe
      ? describe(details)
      : 'The request body could not be read: check its Content-Type, Content-Encoding and Content-Length.',
    'BAD_REQUEST',
  );
}

/** The answer to a failure that is nobody's but the server's: masked INTERNAL_SERVER_ERROR. */
export function maskedErrorBody(error: unknown) {
  return { errors: [formatError({ message: String((error as Error)?.message) }, error)] };
}

/**
 * The last Express error handler of every service: a request refused before GraphQL saw
 * it (body too large, not JSON, a charset or encoding it cannot read, a body cut short)
 * is answered as a GraphQL error with code BAD_REQUEST and the right 4xx status — never
 * Express's HTML page, which shows a stack trace and file paths outside production.
 * Anything else is logged with its request id and masked as INTERNAL_SERVER_ERROR.
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const status: number = Number(error?.status ?? error?.statusCode) || 500;
    if (status >= 400 && status < 500) {
      res.status(status).json(requestProblemBody(String(error?.type), error));
      return;
    }
    logger.error(
      { err: error, method: req.method, path: req.path, requestId: res.locals.requestId },
      'request failed before reaching GraphQL',
    );
    // An error without a code: the shop's rule masks it as INTERNAL_SERVER_ERROR.
    res.status(500).json(maskedErrorBody(error));
  };
}

/** Unknown paths get JSON too, so a probe learns nothing from an HTML page. */
export const jsonNotFound: RequestHandler = (req, res) => {
  res
    .status(404)
    .json(
      errorBody(
        `No route for ${req.method} ${req.path.slice(0, 200)}. GraphQL is served on /graphql.`,
        'NOT_FOUND',
      ),
    );
};

/** What Node's HTTP parser refused, by its error code (anything else is a malformed request). */
const PARSE_PROBLEMS: Record<string, { status: number; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    message: 'The request headers are larger than the server accepts (16 KB in all).',
  },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive.' },
};

/**
 * The HTTP server's `clientError` listener: a request Node's parser refuses before Express
 * sees it (a header holding NUL or another control character, headers beyond 16 KB, a
 * malformed request line) gets the same GraphQL-shaped JSON as any other refusal, code
 * BAD_REQUEST, with the status Node would have sent — instead of an empty 400 a client
 * cannot read. The connection is closed either way, as Node does.
 */
export function jsonClientError(error: Error & { code?: string }, socket: Duplex): void {
  // A reset connection, or one where a response was already started: nothing to answer.
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const { status, message } = PARSE_PROBLEMS[error.code ?? ''] ?? {
    status: 400,
    message:
      'The request is not valid HTTP: a header holds a character headers may not ' +
      '(NUL or another control character), or the request line is malformed.',
  };
  const body = JSON.stringify(errorBody(message, 'BAD_REQUEST'));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
