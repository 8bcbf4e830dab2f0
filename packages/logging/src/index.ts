import { randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One JSON logger per process, named after the service. Secrets that can appear in
 * request data are redacted at the source so they never reach the log pipeline.
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
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.refreshToken',
        '*.accessToken',
        '*.clientSecret',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
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
