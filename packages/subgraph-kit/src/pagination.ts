import { BadUserInputError } from '@shop/errors';

/** Relay-style connection, the shape of every list in the public API. */
export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /**
   * A number, or a function that counts: graphql-js's default resolver calls a function
   * property only when the field is selected, so a page that does not ask for totalCount
   * costs no count query.
   */
  totalCount: number | (() => Promise<number>);
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Validates `first`: 1..100, default 20. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`"first" must be between 1 and ${MAX_PAGE_SIZE}.`, 'first');
  }
  return first;
}

/**
 * Cursors are opaque to clients: the sort key of the last row seen, base64url-encoded.
 * Keyset pagination (rather than offsets) keeps pages correct while rows are added.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined): (string | number)[] | null {
  if (cursor === null || cursor === undefined) return null;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return key;
    }
  } catch {
    // fall through to the error below
  }
  throw new BadUserInputError('"after" is not a cursor returned by this list.', 'after');
}

/**
 * Builds a connection from rows fetched with `limit + 1`: the extra row only tells
 * whether there is a next page and is not returned.
 */
export function toConnection<T>(
  rows: T[],
  limit: number,
  totalCount: number | (() => Promise<number>),
  sortKey: (row: T) => readonly (string | number)[],
): Connection<T> {
  const page = rows.slice(0, limit);
  const edges = page.map((node) => ({ cursor: encodeCursor(sortKey(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount,
  };
}

/** 0001-01-01 and 9999-12-31: every row the shop stores was created between these. */
const MIN_STORED_TIME = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_STORED_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** Position in a list sorted by (createdAt, id): the sort key every shop list uses. */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

/** The cursor key of a row in a (createdAt, id)-sorted list. */
export function keysetKey(row: KeysetPosition): [string, string] {
  return [row.createdAt.toISOString(), row.id];
}

/**
 * Decodes an `after` cursor of a (createdAt, id)-sorted list; `isId` says which ids can
 * exist. A tampered cursor is BAD_USER_INPUT, never a database error.
 */
export function decodeKeysetCursor(
  after: string | null | undefined,
  isId: (id: string) => boolean,
): KeysetPosition | null {
  const key = decodeCursor(after);
  if (!key) return null;
  const [createdAt, id] = key;
  const at = typeof createdAt === 'string' ? new Date(createdAt) : null;
  if (
    key.length !== 2 ||
    !at ||
    Number.isNaN(at.getTime()) ||
    // Valid for JavaScript, yet outside what PostgreSQL and MongoDB store (years before
    // 4713 BC or after 294276): such a position exists in no list.
    at.getTime() < MIN_STORED_TIME ||
    at.getTime() > MAX_STORED_TIME ||
    typeof id !== 'string' ||
    !isId(id)
  ) {
    throw new BadUserInputError('"after" is not a cursor returned by this list.', 'after');
  }
  return { createdAt: at, id };
}
