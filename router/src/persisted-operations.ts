import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import Redis from 'ioredis';
import type { Logger } from '@shop/logging';
import { LruCache } from './lru';

/** Operation texts each replica keeps in memory besides Redis (a shop's apps send hundreds). */
const KNOWN_OPERATIONS = 5_000;

/**
 * Automatic Persisted Queries (APQ) with one cache for every router replica. A client sends
 * the SHA-256 of its operation; the first time, the router answers PERSISTED_QUERY_NOT_FOUND
 * and the client sends the hash with the text, which is stored. With a cache per replica, a
 * client behind a load balancer would meet that miss once per replica; in Redis it meets it
 * once. Apollo Server does the protocol; this is its cache.
 *
 * Redis trouble costs a round trip, not the request: a failed read is a miss (the client
 * retries with the text) and a failed write is logged, once a minute at most.
 */
export class RedisOperationCache {
  private lastWarning = 0;
  /**
   * The texts this replica has already read or stored. A key is the SHA-256 of its text, so
   * an entry can never be wrong, only old: an app's every request with the hash alone is
   * then a lookup here instead of a Redis round trip.
   */
  private readonly known = new LruCache<string, string>(KNOWN_OPERATIONS);

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  static connect(url: string, prefix: string, log: Logger): RedisOperationCache {
    const redis = new Redis(url, {
      // Commands sent while the connection is being (re)made wait for it, but no longer
      // than commandTimeout: Redis away costs a request a second at most, not a hang.
      // (Without the offline queue, every registration right after start-up was lost; with
      // 500 ms, a busy machine's slow read turned a stored hash into a miss.)
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
    });
    const cache = new RedisOperationCache(redis, prefix, log);
    redis.on('error', (err: unknown) => cache.warn(err, 'APQ cache (Redis) unavailable'));
    return cache;
  }

  async get(key: string): Promise<string | undefined> {
    const known = this.known.get(key);
    if (known !== undefined) return known;
    try {
      const text = (await this.redis.get(this.prefix + key)) ?? undefined;
      if (text !== undefined) this.known.set(key, text);
      return text;
    } catch (err) {
      this.warn(err, 'APQ cache read failed; treated as a miss');
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    this.known.set(key, value);
    try {
      const ttl = options?.ttl;
      if (ttl) await this.redis.set(this.prefix + key, value, 'EX', ttl);
      else await this.redis.set(this.prefix + key, value);
    } catch (err) {
      this.warn(err, 'APQ cache write failed');
    }
  }

  async delete(key: string): Promise<boolean> {
    this.known.delete(key);
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private warn(err: unknown, message: string): void {
    if (Date.now() - this.lastWarning < 60_000) return;
    this.lastWarning = Date.now();
    this.log.warn({ err }, message);
  }
}

/** Document id → operation text: the operations the shop's own apps were built with. */
export type TrustedDocuments = ReadonlyMap<string, string>;

/**
 * Reads a manifest of trusted documents: GraphQL Code Generator's client preset
 * (`persisted-documents.json`, `{ "<hash>": "<document>" }`) or Apollo's persisted query
 * manifest (`{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`).
 * A file that is neither is a start-up error naming the file.
 */
export function loadTrustedDocuments(path: string): TrustedDocuments {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`TRUSTED_DOCUMENTS_PATH ${path} is not a readable JSON file: ${String(error)}`);
  }
  const documents = new Map<string, string>();
  if (isApolloManifest(parsed)) {
    for (const op of parsed.operations) documents.set(op.id, op.body);
  } else if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
    for (const [id, body] of Object.entries(parsed)) {
      if (typeof body !== 'string') {
        throw new Error(`TRUSTED_DOCUMENTS_PATH ${path}: document ${id} is not a string`);
      }
      documents.set(id, body);
    }
  } else {
    throw new Error(`TRUSTED_DOCUMENTS_PATH ${path} is not a document manifest`);
  }
  if (documents.size === 0) throw new Error(`TRUSTED_DOCUMENTS_PATH ${path} lists no documents`);
  return documents;
}

function isApolloManifest(value: unknown): value is { operations: { id: string; body: string }[] } {
  const manifest = value as { format?: unknown; operations?: unknown } | null;
  return (
    manifest?.format === 'apollo-persisted-query-manifest' &&
    Array.isArray(manifest.operations) &&
    manifest.operations.every(
      (op: { id?: unknown; body?: unknown }) =>
        typeof op?.id === 'string' && typeof op?.body === 'string',
    )
  );
}

export const NOT_IN_LIST_CODE = 'PERSISTED_QUERY_NOT_IN_LIST';
export const NOT_IN_LIST_MESSAGE =
  'This API runs only the operations its apps were built with, and this is not one of them. ' +
  'Send the id of a trusted document (documentId, or extensions.persistedQuery.sha256Hash).';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Trusted-documents mode: only operations of the manifest run. A request names one by id
 * (`documentId`, as GraphQL Code Generator's clients send, or the APQ hash) or sends its exact
 * text; the router swaps in the manifest's text, so what runs is always the reviewed
 * document. Anything else — a new query, an APQ registration, Sandbox's experiments — is
 * refused with 400 PERSISTED_QUERY_NOT_IN_LIST before any parsing or subgraph call.
 *
 * The returned check takes a request body (POST) or the fields of a query string (GET),
 * puts the manifest's text in it, and says whether it may run. What is not a single
 * request object is left to Apollo Server to refuse.
 */
export function trustedDocumentCheck(documents: TrustedDocuments): (body: unknown) => boolean {
  const byTextHash = new Map([...documents.values()].map((body) => [sha256(body), body]));
  return (body) => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return true;
    const request = body as {
      query?: unknown;
      documentId?: unknown;
      extensions?: { persistedQuery?: { sha256Hash?: unknown } } | null;
    };
    const id = request.documentId ?? request.extensions?.persistedQuery?.sha256Hash;
    const text =
      typeof id === 'string'
        ? documents.get(id)
        : typeof request.query === 'string'
          ? byTextHash.get(sha256(request.query))
          : undefined;
    if (text === undefined) return false;
    request.query = text;
    delete request.documentId;
    // The text is the manifest's: nothing for APQ to look up or store.
    if (request.extensions?.persistedQuery) delete request.extensions.persistedQuery;
    return true;
  };
}

/** The answer to a request trusted-documents mode refuses. */
export const NOT_IN_LIST_BODY = {
  errors: [{ message: NOT_IN_LIST_MESSAGE, extensions: { code: NOT_IN_LIST_CODE } }],
};

/** trustedDocumentCheck as Express middleware, for GET and whatever POSTs Express reads. */
export function trustedDocumentsOnly(admit: (body: unknown) => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const body = req.method === 'GET' ? fromQueryString(req) : (req.body as unknown);
    if (!admit(body)) {
      res.status(400).json(NOT_IN_LIST_BODY);
      return;
    }
    if (req.method === 'GET' && body) writeQueryString(req, body);
    next();
  };
}

/** GET /graphql carries the request in the query string (extensions as JSON text). */
function fromQueryString(req: Request): Record<string, unknown> | null {
  const params = new URL(req.url, 'http://router').searchParams;
  let extensions: unknown;
  try {
    const raw = params.get('extensions');
    extensions = raw === null ? undefined : JSON.parse(raw);
  } catch {
    return null; // Apollo Server answers the malformed JSON itself
  }
  return {
    query: params.get('query') ?? undefined,
    documentId: params.get('documentId') ?? undefined,
    extensions,
  };
}

/** Puts the trusted text back into the URL, which is what Apollo Server reads for GET. */
function writeQueryString(req: Request, request: { query?: unknown; extensions?: unknown }) {
  const url = new URL(req.url, 'http://router');
  url.searchParams.set('query', String(request.query));
  url.searchParams.delete('documentId');
  const extensions = request.extensions as Record<string, unknown> | undefined;
  if (extensions && Object.keys(extensions).length > 0) {
    url.searchParams.set('extensions', JSON.stringify(extensions));
  } else {
    url.searchParams.delete('extensions');
  }
  req.url = url.pathname + url.search;
}
