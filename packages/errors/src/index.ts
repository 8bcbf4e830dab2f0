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

export class UnauthenticatedError extends ShopError {
  constructor(message = 'You must be signed in to do this.') {
    super(ErrorCode.UNAUTHENTICATED, message, { http: { status: 401 } });
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

const knownCodes = new Set<string>(Object.values(ErrorCode));
// Codes produced by graphql-js / Apollo Server themselves for malformed operations.
const protocolCodes = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

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
  onInternal(error);
  return {
    message: 'Something went wrong on our side. It has been logged; try again later.',
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}
