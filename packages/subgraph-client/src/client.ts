import type { ServiceTokenClient } from '@shop/auth';
import { ErrorCode } from '@shop/errors';
import { REQUEST_ID_HEADER } from '@shop/logging';
import { Pool } from 'undici';
import { UpstreamUnavailableError } from './errors';
import { dataOf, entitiesOf, isGraphQLResponse, type GraphQLResponse } from './graphql';

export interface SubgraphClientOptions {
  /** The upstream's name in error messages: 'products', 'users', ... */
  name: string;
  /** Its GraphQL endpoint, e.g. http://products:4002/graphql. */
  url: string;
  /**
   * Bounds each wait of a call: for a connection to open, for the response headers, and
   * between two chunks of the body. Past it the call fails with UpstreamUnavailableError.
   */
  timeoutMs: number;
  /** Connections kept open to the upstream at most; more concurrent calls wait for one. */
  connections?: number;
  /** This service's client-credentials tokens, for calls made with `auth: 'service'`. */
  tokens?: ServiceTokenClient;
}

export interface CallOptions {
  /**
   * Whom the call is made as: 'service' sends this service's own token, `{ bearer }` the
   * customer's token as it came in; without it the call is anonymous.
   */
  auth?: 'service' | { bearer: string };
  /** The id of the request being served, so the upstream's log lines join ours. */
  requestId?: string;
}

interface Reply<T> {
  status: number;
  /** Undefined when the body is not a GraphQL response (an HTML error page, say). */
  body?: GraphQLResponse<T>;
}

const DEFAULT_CONNECTIONS = 32;

/**
 * GraphQL over HTTP to one other subgraph, on a pool of keep-alive connections to it. The
 * pool's own timeouts bound every call, so no per-call timer or AbortSignal is made: a
 * subgraph calls its peers on nearly every request, and that overhead added up.
 */
export class SubgraphClient {
  readonly name: string;
  private readonly path: string;
  private readonly pool: Pool;
  private closed?: Promise<void>;

  constructor(private readonly options: SubgraphClientOptions) {
    this.name = options.name;
    const url = new URL(options.url);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  /**
   * The GraphQL response as the upstream sent it, errors and all. A call as the service
   * that the upstream refuses (HTTP 401 or UNAUTHENTICATED: the token expired early, or
   * the issuer rotated its keys) is sent once more with a fresh token, and only once.
   */
  async response<T>(
    query: string,
    variables: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<GraphQLResponse<T>> {
    const { auth, requestId } = options;
    if (auth !== 'service') {
      return this.answer(await this.post<T>(query, variables, auth?.bearer, requestId));
    }
    const tokens = this.serviceTokens();
    let reply = await this.post<T>(query, variables, await tokens.token(), requestId);
    if (refused(reply)) {
      tokens.invalidate();
      reply = await this.post<T>(query, variables, await tokens.token(), requestId);
    }
    return this.answer(reply);
  }

  /**
   * The data of the answer. An error the caller's client can act on (BAD_USER_INPUT,
   * NOT_FOUND, OUT_OF_STOCK, CONFLICT, UNAUTHENTICATED) is raised as that ShopError with
   * its extensions; any other error is UpstreamUnavailableError.
   */
  async data<T>(
    query: string,
    variables: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<T> {
    return dataOf(this.name, await this.response<T>(query, variables, options));
  }

  /**
   * Entities by federation representation, in the order given, with one call: `query` is
   * an `_entities(representations: $representations)` query. Null where the upstream has
   * no such entity (see `entitiesOf`).
   */
  async entities<E>(
    query: string,
    representations: readonly Record<string, unknown>[],
    options: CallOptions = {},
  ): Promise<(E | null)[]> {
    if (representations.length === 0) return [];
    const body = await this.response<{ _entities?: unknown }>(query, { representations }, options);
    return entitiesOf<E>(this.name, representations.length, body);
  }

  /** Closes the pool once the calls under way have finished; later calls fail. */
  close(): Promise<void> {
    this.closed ??= this.pool.close();
    return this.closed;
  }

  private async post<T>(
    query: string,
    variables: Record<string, unknown>,
    token: string | undefined,
    requestId: string | undefined,
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (requestId) headers[REQUEST_ID_HEADER] = requestId;
    let status: number;
    let text: string;
    try {
      const response = await this.pool.request({
        method: 'POST',
        path: this.path,
        headers,
        body: JSON.stringify({ query, variables }),
      });
      status = response.statusCode;
      // Read to the end in every case: a body left unread keeps its connection from the pool.
      text = await response.body.text();
    } catch (error) {
      // Refused, reset, or past one of the pool's timeouts.
      throw new UpstreamUnavailableError(
        `${this.name} at ${this.options.url} is unreachable: ${describe(error)}`,
        { cause: error },
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { status };
    }
    return isGraphQLResponse(body) ? { status, body: body as GraphQLResponse<T> } : { status };
  }

  private answer<T>({ status, body }: Reply<T>): GraphQLResponse<T> {
    if (!body) {
      throw new UpstreamUnavailableError(
        `${this.name} answered HTTP ${status} without a GraphQL response`,
      );
    }
    return body;
  }

  private serviceTokens(): ServiceTokenClient {
    if (!this.options.tokens) {
      throw new Error(`the ${this.name} client has no service tokens to call as the service`);
    }
    return this.options.tokens;
  }
}

function refused({ status, body }: Reply<unknown>): boolean {
  return status === 401 || body?.errors?.[0]?.extensions?.code === ErrorCode.UNAUTHENTICATED;
}

function describe(error: unknown): string {
  const { message, code } = error as { message?: unknown; code?: unknown };
  const text = typeof message === 'string' && message ? message : String(error);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}
