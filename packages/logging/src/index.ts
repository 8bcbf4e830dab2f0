import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

const CENSOR = '[redacted]';
/** Keys that hold a secret in any object a line carries (a mutation's input, a client). */
const SECRET_KEYS = ['password', 'refreshToken', 'accessToken', 'clientSecret'] as const;
/** Headers of a logged request (`req`) that carry credentials. */
const SECRET_HEADERS = ['authorization', 'cookie'] as const;

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `fields` with the given keys censored: a copy if it holds one of them, else itself. */
function censored(fields: Fields, keys: readonly string[]): Fields {
  let copy: Fields | null = null;
  for (const key of keys) {
    if (Object.hasOwn(fields, key)) (copy ??= { ...fields })[key] = CENSOR;
  }
  return copy ?? fields;
}

/**
 * A line's fields (or a child logger's bindings) with the secrets request data can carry
 * censored one level down, `req.headers` included. Nothing is copied unless something is
 * censored, and the caller's objects are never changed. (pino's own `redact` with
 * wildcard paths did the same at twice the cost of a whole line, and on every child's
 * bindings, i.e. on every request.)
 */
function withoutSecrets(fields: Fields): Fields {
  let copy: Fields | null = null;
  for (const key in fields) {
    const value = fields[key];
    if (!isFields(value)) continue;
    let clean = censored(value, SECRET_KEYS);
    if (key === 'req' && isFields(clean.headers)) {
      const headers = censored(clean.headers, SECRET_HEADERS);
      if (headers !== clean.headers) clean = { ...clean, headers };
    }
    if (clean !== value) (copy ??= { ...fields })[key] = clean;
  }
  return copy ?? fields;
}

/**
 * One JSON logger per process, named after the service. Secrets that can appear in
 * request data are censored at the source so they never reach the log pipeline.
 */
export function createLogger(
  service: string,
  level: string = 'info',
  /** Where the lines go; stdout unless given (tests capture them). */
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    formatters: { log: withoutSecrets },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino formats a child's bindings without the formatters above; every child (children
  // of children too: they inherit this method) censors its bindings here instead.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, withoutSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * The request id travels router → subgraphs in `x-request-id`, so one customer action can
 * be followed through every service's logs. An incoming id is kept only if it looks sane.
 */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : randomUUID();
}
