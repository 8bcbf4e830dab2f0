import { ErrorCode, ShopError } from '@shop/errors';
import { UpstreamUnavailableError } from './errors';

export interface GraphQLErrorBody {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown> & { code?: string };
}

export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: GraphQLErrorBody[];
}

/**
 * Codes another subgraph raises on purpose about the caller's request; they reach our own
 * client unchanged, with their extensions (`field`, `available`, ...).
 */
const PASS_THROUGH = new Set<string>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.NOT_FOUND,
  ErrorCode.OUT_OF_STOCK,
  ErrorCode.CONFLICT,
  ErrorCode.UNAUTHENTICATED,
]);

/** Errors about one entity that mean "there is no such entity", not "the subgraph is broken". */
const NO_SUCH_ENTITY = new Set<string>([ErrorCode.NOT_FOUND, ErrorCode.BAD_USER_INPUT]);

/** A JSON value that has the shape of a GraphQL response (data, errors or both). */
export function isGraphQLResponse(value: unknown): value is GraphQLResponse<unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { data, errors } = value as { data?: unknown; errors?: unknown };
  return (
    (errors === undefined || Array.isArray(errors)) && (data !== undefined || errors !== undefined)
  );
}

function failure(upstream: string, error: GraphQLErrorBody): UpstreamUnavailableError {
  const code = error.extensions?.code ?? 'no code';
  return new UpstreamUnavailableError(`${upstream} failed: ${error.message} (${code})`);
}

/** Re-raises an error a client can act on; anything else means the upstream is unusable now. */
export function raise(upstream: string, error: GraphQLErrorBody): never {
  const code = error.extensions?.code;
  if (code && PASS_THROUGH.has(code)) {
    const { code: _code, ...extensions } = error.extensions ?? {};
    throw new ShopError(code as ErrorCode, error.message, extensions);
  }
  throw failure(upstream, error);
}

/** The data of a response, or its first error raised. */
export function dataOf<T>(upstream: string, body: GraphQLResponse<T>): T {
  const first = body.errors?.[0];
  if (first) raise(upstream, first);
  if (!body.data) throw new UpstreamUnavailableError(`${upstream} answered without data`);
  return body.data;
}

/**
 * The entities of an `_entities` answer, in the order asked. Federation resolves each
 * representation on its own, so one unknown id is an error at `["_entities", i]` next to
 * the others' data: NOT_FOUND or BAD_USER_INPUT there is null at i. Any other error, or a
 * list of another length, says the upstream cannot answer now.
 */
export function entitiesOf<E>(
  upstream: string,
  count: number,
  body: GraphQLResponse<{ _entities?: unknown }>,
): (E | null)[] {
  const entities = body.data?._entities;
  if (!Array.isArray(entities) || entities.length !== count) {
    throw new UpstreamUnavailableError(
      `${upstream} answered without the ${count} entities asked for: ` +
        (body.errors?.map((e) => e.message).join('; ') || 'no data'),
    );
  }
  const missing = new Set<number>();
  for (const error of body.errors ?? []) {
    const [root, index] = error.path ?? [];
    const noSuchEntity = NO_SUCH_ENTITY.has(error.extensions?.code ?? '');
    if (root !== '_entities' || typeof index !== 'number' || index >= count || !noSuchEntity) {
      throw failure(upstream, error);
    }
    missing.add(index);
  }
  return entities.map((entity, i) => (missing.has(i) ? null : (entity as E | null)));
}
