import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Logger } from '@shop/logging';
import { maskedErrorBody, requestProblemBody } from '@shop/subgraph-kit';
import { startAccessLog } from './access-log';
import type { RequestFacts, RouterContext } from './context';
import { NOT_IN_LIST_BODY } from './persisted-operations';

/** A connect-style middleware that calls `next` before returning (cors does). */
type SyncMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface GraphQLLaneOptions {
  apollo: ApolloServer<RouterContext>;
  context: (facts: RequestFacts) => Promise<RouterContext>;
  /** The same CORS middleware the Express path runs, so both answer with the same headers. */
  cors: SyncMiddleware;
  clientIp: (req: IncomingMessage) => string;
  maxBodyBytes: number;
  /** Trusted-documents mode: puts the manifest's text in a body, false to refuse it. */
  admit?: (body: unknown) => boolean;
  logger: Logger;
}

/** `application/json`, alone or with a UTF-8 charset: what every GraphQL client sends. */
const PLAIN_JSON = /^application\/json\s*(;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

/**
 * The GraphQL requests almost every client sends — a POST of `application/json` to
 * /graphql with its length announced and no content encoding — go straight to Apollo
 * Server's request handling (past the trusted-documents check, in that mode); everything
 * else (GET, CORS preflight, compressed or chunked bodies, other charsets, other paths)
 * goes on to the Express app, which answers it as before. The lane skips what Express
 * adds per request for no use here (routing, its request and response decorations, the
 * body parser's content negotiation), which was about a fifth of the router's own CPU per
 * small query (bench/results/router.md).
 * What the client sees is the same on both paths: request id, CORS headers, access log,
 * the same JSON errors for a body that is not JSON or not of its announced length.
 */
export function graphqlLane(
  express: RequestListener,
  options: GraphQLLaneOptions,
): RequestListener {
  const { maxBodyBytes, logger } = options;
  const inLane = (req: IncomingMessage): boolean => {
    if (req.method !== 'POST' || req.url !== '/graphql') return false;
    const { headers } = req;
    const length = Number(headers['content-length']);
    return (
      PLAIN_JSON.test(headers['content-type'] ?? '') &&
      (headers['content-encoding'] === undefined || headers['content-encoding'] === 'identity') &&
      Number.isInteger(length) &&
      length > 0 &&
      length <= maxBodyBytes
    );
  };
  return (req, res) => {
    if (!inLane(req)) {
      express(req, res);
      return;
    }
    const accessLog = startAccessLog(logger, req, res);
    options.cors(req, res, () => undefined);
    readBody(req, Number(req.headers['content-length']))
      .then(
        (text) => answer(req, res, text, { ...options, accessLog }),
        (problem: BodyProblem) => {
          // The client went away mid-body: nobody is left to answer.
          if (req.destroyed || res.destroyed) return;
          sendJson(res, 400, requestProblemBody(problem.type));
        },
      )
      // answer() handles its own failures; this is the net under it, so that nothing a
      // request does can become an unhandled rejection, which would end the process.
      .catch((error: unknown) => {
        logger.error({ err: error, requestId: accessLog.requestId }, 'request failed');
        res.destroy();
      });
  };
}

/** A body that could not be read, by body-parser's type for the problem (requestProblemBody). */
class BodyProblem extends Error {
  constructor(readonly type: 'request.size.invalid' | 'request.aborted') {
    super(type);
  }
}

/** The body as text, exactly as long as announced (never longer: the lane's limit). */
function readBody(req: IncomingMessage, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= length) chunks.push(chunk);
    });
    req.on('end', () => {
      if (received !== length) {
        reject(new BodyProblem('request.size.invalid'));
      } else {
        resolve(
          chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks).toString('utf8'),
        );
      }
    });
    req.on('error', () => reject(new BodyProblem('request.aborted')));
  });
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  text: string,
  options: GraphQLLaneOptions & { accessLog: RequestFacts['accessLog'] },
): Promise<void> {
  // As Express's JSON parser in strict mode: an object or an array, nothing else.
  const first = /\S/.exec(text)?.[0];
  let body: unknown;
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not an object or an array');
    body = JSON.parse(text);
  } catch {
    sendJson(res, 400, requestProblemBody('entity.parse.failed'));
    return;
  }
  if (options.admit && !options.admit(body)) {
    sendJson(res, 400, NOT_IN_LIST_BODY);
    return;
  }
  try {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const facts: RequestFacts = {
      headers: req.headers,
      clientIp: options.clientIp(req),
      accessLog: options.accessLog,
    };
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: '', body },
      context: () => options.context(facts),
    });
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(response.body.string));
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  } catch (error) {
    // As the Express path's last error handler: logged with the request id, masked.
    options.logger.error(
      { err: error, method: req.method, path: req.url, requestId: options.accessLog.requestId },
      'request failed before reaching GraphQL',
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendJson(res, 500, maskedErrorBody(error));
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
