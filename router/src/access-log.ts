import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { REQUEST_ID_HEADER, requestIdFrom, type Logger } from '@shop/logging';

/** What the router logs about one HTTP request, filled in as the request goes along. */
export interface AccessLogEntry {
  requestId: string;
  /** Known once Apollo Server has resolved the operation; absent for refused requests. */
  operationName?: string;
}

declare module 'express-serve-static-core' {
  interface Locals {
    accessLog: AccessLogEntry;
    /** The same id, where the shared error handler (jsonErrorHandler) logs it from. */
    requestId: string;
  }
}

/**
 * Gives a request its id (the client's `x-request-id` when sane, else a new one), echoes
 * it in the response, and logs one line when the response is sent — whatever ended the
 * request: a result, a 401 from the token check, a 413 from the body parser. The
 * Authorization header is never logged.
 */
export function startAccessLog(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): AccessLogEntry {
  const entry: AccessLogEntry = { requestId: requestIdFrom(req.headers[REQUEST_ID_HEADER]) };
  res.setHeader(REQUEST_ID_HEADER, entry.requestId);
  // Production logs at warn: no listener, no clock, no line object for a line never written.
  if (!logger.isLevelEnabled('info')) return entry;
  const started = performance.now();
  res.on('finish', () => {
    logger.info(
      {
        ...entry,
        method: req.method,
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
      },
      'request',
    );
  });
  return entry;
}

/** startAccessLog as Express middleware; the entry is kept in `res.locals`. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const entry = startAccessLog(logger, req, res);
    res.locals.accessLog = entry;
    res.locals.requestId = entry.requestId;
    next();
  };
}

/** Copies the resolved operation name into the request's access log entry. */
export const operationNamePlugin: ApolloServerPlugin<{ accessLog: AccessLogEntry }> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, operationName }) {
        contextValue.accessLog.operationName = operationName ?? undefined;
      },
    };
  },
};
