import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * Stable error codes that clients switch on (`extensions.code`). Adding one is fine;
 * renaming one breaks every storefront, so they are listed here and nowhere else.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  OUT_OF_STOCK: 'OUT_OF_STOCK',
  PAYMENT_FAILED: 'PAYMENT_FAILED',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** A store, a subgraph or a provider the operation needs is down: retry later. */
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Base class of every error a client is meant to read. Anything else that escapes a
 * resolver is masked as INTERNAL_SERVER_ERROR (see `formatError`).
 */
export class ShopError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extensions: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { ...extensions, code } });
    this.name = new.target.name;
  }
}

/** Input that breaks a rule; `field` names the input field so a form can highlight it. */
export class BadUserInputError extends ShopError {
  constructor(message: string, field?: string) {
    super(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
  }
}

/**
 * No (valid) caller. Thrown by a resolver it is a field error like any other: the response
 * keeps HTTP 200 and the rest of its data, so a mutation that succeeded next to a refused
 * nested field still reports its success. A refused token refuses the whole request:
 * `UnauthenticatedError.request()` answers HTTP 401.
 */
export class UnauthenticatedError extends ShopError {
  constructor(
    message = 'You must be signed in to do this.',
    extensions: Record<string, unknown> = {},
  ) {
    super(ErrorCode.UNAUTHENTICATED, message, extensions);
  }

  /** For a token refused before any field runs (context building): HTTP 401. */
  static request(message: string): UnauthenticatedError {
    return new UnauthenticatedError(message, { http: { status: 401 } });
  }
}

export class ForbiddenError extends ShopError {
  constructor(message = 'You are not allowed to do this.') {
    super(ErrorCode.FORBIDDEN, message);
  }
}

export class NotFoundError extends ShopError {
  constructor(entity: string, id?: string) {
    super(ErrorCode.NOT_FOUND, id ? `${entity} ${id} was not found.` : `${entity} was not found.`);
  }
}

export class ConflictError extends ShopError {
  constructor(message: string, field?: string) {
    super(ErrorCode.CONFLICT, message, field ? { field } : {});
  }
}

/** Not enough stock for a quantity; says how many are available so the client can offer that. */
export class OutOfStockError extends ShopError {
  constructor(productName: string, available: number, extensions: Record<string, unknown> = {}) {
    super(
      ErrorCode.OUT_OF_STOCK,
      available > 0
        ? `Only ${available} of "${productName}" ${available === 1 ? 'is' : 'are'} in stock.`
        : `"${productName}" is out of stock.`,
      { ...extensions, available },
    );
  }
}

export class RateLimitedError extends ShopError {
  constructor(retryAfterSeconds: number) {
    super(ErrorCode.RATE_LIMITED, `Too many attempts. Try again in ${retryAfterSeconds} seconds.`, {
      retryAfterSeconds,
    });
  }
}

/**
 * Something the operation depends on (a database, a subgraph, the signing keys, a payment
 * provider) did not answer in time. Nothing was written; the same request can be retried
 * later. `retryable: true` lets clients tell this from a bug without parsing messages.
 */
export class ServiceUnavailableError extends ShopError {
  constructor(
    message = 'A service this operation needs is unavailable. Nothing was changed; try again shortly.',
    extensions: Record<string, unknown> = {},
  ) {
    super(ErrorCode.SERVICE_UNAVAILABLE, message, { ...extensions, retryable: true });
  }
}

/**
 * Codes of operations refused before execution, as Apollo Server names them (graphql-js
 * gives none): the router and delivery's own graphql-ws servers use the same words, so a
 * client reads one vocabulary whichever way its operation arrived.
 */
export const ProtocolCode = {
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
} as const;
export type ProtocolCode = (typeof ProtocolCode)[keyof typeof ProtocolCode];

/** What a client is told of a failure on our side (INTERNAL_SERVER_ERROR): never its details. */
export const INTERNAL_ERROR_MESSAGE =
  'Something went wrong on our side. It has been logged; try again later.';

const knownCodes = new Set<string>(Object.values(ErrorCode));
const protocolCodes = new Set<string>(Object.values(ProtocolCode));

/** Error names the store drivers and peer clients give a connection that is down or timed out. */
const OUTAGE_NAMES = new Set([
  // mongodb / mongoose
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  // Prisma: cannot reach or initialise the database
  'PrismaClientInitializationError',
  // ioredis: a command given up after its retries, or sent while offline
  'MaxRetriesPerRequestError',
  // @shop/subgraph-client: another subgraph down, too slow, or answering no usable GraphQL
  'UpstreamUnavailableError',
]);
/** Prisma codes for an unreachable database, a lost connection and a pool wait timeout. */
const OUTAGE_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
/**
 * Prisma's driver adapters (the JS client engine) describe the connection problem in a
 * DriverAdapterError whose `cause.kind` is one of these; raw queries ($queryRaw) surface
 * it only as P2010 with the DriverAdapterError in `meta.driverAdapterError`.
 */
const OUTAGE_DRIVER_ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/**
 * node-pg's own errors for a connection that could not be opened in time (the client's and
 * the pool's connect timeouts), was cut by the server or a proxy, or a pool that had no
 * connection to give in time. They carry no code, and the pg driver adapter passes them on
 * as they are.
 */
const OUTAGE_PG_MESSAGES = new Set([
  'timeout expired',
  'Connection terminated due to connection timeout',
  'Connection terminated unexpectedly',
  'timeout exceeded when trying to connect',
]);
/** Node's socket errors for a peer that is down or unreachable. */
const OUTAGE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EPIPE',
]);

/**
 * True for an HTTP status that a load balancer, ingress or server sends for a backend that
 * is down or too slow (502, 503, 504): an outage of the service called, not a bug in it.
 */
export function isOutageStatus(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/**
 * True when `error` (or an error it wraps) says a store or peer is unavailable rather than
 * that the code is wrong: such failures are SERVICE_UNAVAILABLE (retryable), not bugs.
 */
export function isOutage(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    originalError?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof e.name === 'string' && OUTAGE_NAMES.has(e.name)) return true;
  if (
    e.name === 'DriverAdapterError' &&
    OUTAGE_DRIVER_ADAPTER_KINDS.has(String((e.cause as { kind?: unknown } | undefined)?.kind))
  ) {
    return true;
  }
  if (
    typeof e.code === 'string' &&
    (OUTAGE_PRISMA_CODES.has(e.code) || OUTAGE_SOCKET_CODES.has(e.code))
  ) {
    return true;
  }
  // ioredis rejects commands on a closed connection with a plain Error of this message.
  if (e.message === 'Connection is closed.') return true;
  // graphql-js wraps a thrown value that is not an Error of its own realm in NonErrorThrown
  // (`thrownValue`): Node's socket errors, when the code runs in a VM context such as Jest's.
  if (isOutage((e as { thrownValue?: unknown }).thrownValue, depth + 1)) return true;
  if (typeof e.message === 'string' && OUTAGE_PG_MESSAGES.has(e.message)) return true;
  return (
    isOutage(e.originalError, depth + 1) ||
    isOutage(e.cause, depth + 1) ||
    isOutage(e.meta?.driverAdapterError, depth + 1)
  );
}

/**
 * Apollo Server `formatError`: keeps errors the shop raised on purpose (and protocol
 * errors about the operation itself) and hides everything else behind a generic message,
 * so stack traces and SQL never reach a client. `onInternal` is where the caller logs it.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  onInternal: (error: unknown) => void = () => undefined,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && (knownCodes.has(code) || protocolCodes.has(code))) {
    if (code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
  }
  if (isOutage(error)) {
    onInternal(error);
    return {
      message: new ServiceUnavailableError().message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.SERVICE_UNAVAILABLE, retryable: true },
    };
  }
  onInternal(error);
  return {
    message: INTERNAL_ERROR_MESSAGE,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
