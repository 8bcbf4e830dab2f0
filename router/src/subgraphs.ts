import { STATUS_CODES } from 'node:http';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { CART_ID_HEADER } from '@shop/auth';
import { isOutage, isOutageStatus, ServiceUnavailableError } from '@shop/errors';
import { REQUEST_ID_HEADER, type Logger } from '@shop/logging';
import { traceCarrier } from '@shop/telemetry';
import { Agent, fetch, type Dispatcher } from 'undici';
import type { RouterContext } from './context';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

/** A response's headers as undici's `request` gives them (lower-case names), read like fetch's. */
class RawHeaders implements FetcherHeaders {
  constructor(private readonly raw: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
  set(name: string, value: string): void {
    this.raw[name.toLowerCase()] = value;
  }
  append(name: string, value: string): void {
    const current = this.get(name);
    this.set(name, current === null ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    delete this.raw[name.toLowerCase()];
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** undici's `request` result as the fetch-like response the gateway's data source reads. */
class PooledResponse implements FetcherResponse {
  readonly redirected = false;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: FetcherHeaders;
  private readonly body: Dispatcher.ResponseData['body'];

  constructor(
    readonly url: string,
    readonly status: number,
    response: Dispatcher.ResponseData,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
    this.headers = new RawHeaders(response.headers);
    this.body = response.body;
  }
  get bodyUsed(): boolean {
    return this.body.bodyUsed;
  }
  text(): Promise<string> {
    return this.body.text();
  }
  json(): Promise<unknown> {
    return this.body.json();
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.body.arrayBuffer();
  }
  clone(): FetcherResponse {
    throw new Error('a subgraph response is read once');
  }
}

/**
 * One keep-alive connection pool for every call to the subgraphs. The data sources call it
 * through undici's `request` rather than its `fetch`: no WHATWG Request, Headers, stream and
 * AbortSignal per call, which were about a quarter of the router's CPU on a small query.
 */
export class SubgraphPool {
  private readonly agent: Agent;

  constructor(private readonly timeoutMs: number) {
    // SUBGRAPH_TIMEOUT_MS bounds the wait for a subgraph's answer and every pause in its
    // body, on the pool itself, instead of a timer and an AbortSignal made per call.
    this.agent = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  /** Each subgraph URL split once into what `request` takes. */
  private readonly targets = new Map<string, { origin: string; path: string }>();

  /** The data sources' fetcher: pooled, and bounded by SUBGRAPH_TIMEOUT_MS. */
  readonly fetcher: Fetcher = async (url, init = {}) => {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      this.targets.set(url, target);
    }
    const response = await this.agent.request({
      ...target,
      method: (init.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body,
    });
    return new PooledResponse(url, response.statusCode, response);
  };

  /** Asks a subgraph's GET /readyz (next to its /graphql); resolves to a problem, or null. */
  async readinessProblem(graphqlUrl: string, timeoutMs: number): Promise<string | null> {
    try {
      const response = await fetch(new URL('readyz', graphqlUrl), {
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      return response.ok ? null : `readyz answered HTTP ${response.status}`;
    } catch (error) {
      return `unreachable: ${(error as Error).message}`;
    }
  }

  /** A plain HTTP call to a subgraph on the same pool (webhook relays). */
  relay(url: URL, init: { method: string; headers: Record<string, string>; body: Buffer }) {
    return fetch(url, {
      ...init,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** What a data source hands the gateway: `{ data, errors }` as a subgraph sent it. */
type GatewayGraphQLResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/** RemoteGraphQLDataSource's private `respond`, which applies a subgraph's Cache-Control. */
interface GatewayResponder {
  respond(args: {
    response: GatewayGraphQLResponse;
    request: GraphQLDataSourceProcessOptions['request'];
    context: RouterContext;
    overallCachePolicy: unknown;
    pathInIncomingRequest?: unknown;
  }): Promise<GatewayGraphQLResponse>;
}

/**
 * A subgraph's answer on a non-2xx status that is still a GraphQL response: thrown by
 * `errorFromResponse` (the only hook the gateway offers there, and typed GraphQLError)
 * and caught in `process`, which hands it to the gateway as the subgraph's response.
 */
class GraphQLAnswerOnErrorStatus extends GraphQLError {
  constructor(readonly response: GatewayGraphQLResponse) {
    super('subgraph answered a GraphQL response on an error status');
  }
}

/**
 * A call that got no answer from the subgraph itself: refused, reset, timed out, or a
 * proxy in front of it answering 502/503/504 without a GraphQL body.
 */
class SubgraphUnreachable extends GraphQLError {}

/** `{ errors: [...] }` with optional `data`: what a GraphQL server answers, whatever its status. */
function isGraphQLResponse(body: unknown): body is GatewayGraphQLResponse {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  return (
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (error) => !!error && typeof error === 'object' && typeof error.message === 'string',
    ) &&
    (data === undefined || data === null || (typeof data === 'object' && !Array.isArray(data)))
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A timeout, or the connection lost while the body was read (undici's UND_ERR_… codes). */
function isTimeout(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  return (
    name === 'TimeoutError' ||
    name === 'AbortError' ||
    (typeof code === 'string' && code.startsWith('UND_ERR_'))
  );
}

export interface SubgraphDataSourceOptions {
  /** The subgraph's name in the supergraph, for logs and the client's error message. */
  name: string;
  url: string;
  fetcher: Fetcher;
  logger: Logger;
}

/**
 * Calls one subgraph for the gateway. Outgoing headers are built from an allow-list, so
 * nothing else a client sends (x-user-id and the like) ever reaches a subgraph.
 *
 * Unlike the gateway's own data source, it keeps what a subgraph said:
 * - A GraphQL response on a 4xx/5xx status (a field that set an HTTP status, a subgraph
 *   refusing the whole request) is passed on as a response, so the subgraph's codes and
 *   whatever data it resolved reach the client as field errors next to that data — not
 *   one "401: Unauthorized" that throws away a mutation that succeeded.
 * - A subgraph that does not answer (connection refused or reset, SUBGRAPH_TIMEOUT_MS
 *   passed) is SERVICE_UNAVAILABLE (retryable), not an INTERNAL_SERVER_ERROR that reads
 *   like a bug; the cause is logged with the subgraph's name.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  /** The subgraph's name in the supergraph (metrics.ts labels its calls with it). */
  protected readonly name: string;
  private readonly logger: Logger;

  constructor({ name, url, fetcher, logger }: SubgraphDataSourceOptions) {
    super();
    this.name = name;
    this.url = url;
    this.logger = logger;
    this.fetcher = async (input, init) => {
      try {
        return await fetcher(input, init);
      } catch (error) {
        throw new SubgraphUnreachable('no HTTP answer from the subgraph', {
          originalError: error as Error,
        });
      }
    };
  }

  /**
   * The headers of a call: JSON, what the gateway itself asks for, and the allow-listed
   * facts of the client request.
   */
  private headersFor(options: GraphQLDataSourceProcessOptions<RouterContext>) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const [name, value] of options.request.http?.headers ?? []) headers[name] = value;
    // Only client operations carry a router context (the gateway makes no other calls here).
    if (!('incomingRequestContext' in options)) return headers;
    const { authorization, requestId, clientIp, cartId } = options.context;
    // The token itself, not a claim derived from it: each subgraph verifies it again, so a
    // request that bypasses the router proves nothing it could not prove here.
    if (authorization) headers.authorization = authorization;
    headers[REQUEST_ID_HEADER] = requestId;
    headers['x-forwarded-for'] = clientIp;
    if (cartId) headers[CART_ID_HEADER] = cartId;
    // W3C trace context of this fetch (the gateway's `gateway.fetch` span), so the
    // subgraph's spans join the router's trace; nothing when tracing is off.
    const carrier = traceCarrier();
    if (carrier) {
      headers.traceparent = carrier.traceparent;
      if (carrier.tracestate) headers.tracestate = carrier.tracestate;
    }
    return headers;
  }

  /**
   * The gateway's own `process` (RemoteGraphQLDataSource), less what it builds per call for
   * nobody here: a node-fetch Headers and Request for hooks this class does not use, and
   * the copy of one into the other. Same request body, same answer handling.
   */
  private async send(
    options: GraphQLDataSourceProcessOptions<RouterContext>,
  ): Promise<GatewayGraphQLResponse> {
    const { http: _http, query, ...rest } = options.request;
    if (!query) throw new Error('Missing query');
    const response = await this.fetcher(this.url, {
      method: 'POST',
      headers: this.headersFor(options),
      body: JSON.stringify({ query, ...rest }),
    });
    if (!response.ok) throw await this.errorFromResponse(response);
    const body = await this.parseBody(response);
    if (!body || typeof body !== 'object') {
      throw new Error(`Expected JSON response body, but received: ${String(body)}`);
    }
    const answer = { ...(body as GatewayGraphQLResponse), http: response };
    // The gateway's `respond`: a subgraph's Cache-Control narrows the answer's cache policy.
    if (!('incomingRequestContext' in options)) return answer;
    const policy = options.incomingRequestContext.overallCachePolicy;
    return !policy || !('restrict' in policy)
      ? answer
      : (this as unknown as GatewayResponder).respond({
          response: answer,
          request: options.request,
          context: options.context,
          overallCachePolicy: policy,
          pathInIncomingRequest: options.pathInIncomingRequest,
        });
  }

  override async process(
    options: GraphQLDataSourceProcessOptions<RouterContext>,
  ): Promise<GatewayGraphQLResponse> {
    try {
      return await this.send(options);
    } catch (error) {
      if (error instanceof GraphQLAnswerOnErrorStatus) return error.response;
      // Also a body cut off by the timeout, which fails after the fetch itself answered.
      if (error instanceof SubgraphUnreachable || isTimeout(error) || isOutage(error)) {
        const log = 'incomingRequestContext' in options ? options.context.log : this.logger;
        log.warn(
          {
            err: error instanceof SubgraphUnreachable ? (error.originalError ?? error) : error,
            subgraph: this.name,
          },
          'subgraph unavailable',
        );
        // Not "nothing was changed": a timed-out mutation may have been applied.
        throw new ServiceUnavailableError(
          `The ${this.name} service did not answer. Try again shortly.`,
        );
      }
      throw error;
    }
  }

  override async errorFromResponse(response: FetcherResponse): Promise<GraphQLError> {
    const text = await response.text();
    const isJson = /^application\/(graphql-response\+)?json/.test(
      response.headers.get('content-type') ?? '',
    );
    const body = isJson ? parseJson(text) : text;
    if (isGraphQLResponse(body)) {
      return new GraphQLAnswerOnErrorStatus({ data: body.data, errors: body.errors });
    }
    if (isOutageStatus(response.status)) {
      return new SubgraphUnreachable(`HTTP ${response.status} without a GraphQL body`);
    }
    // Anything else as the gateway itself reports it: the status, with the URL and body
    // for the log (formatRouterError keeps them from clients).
    const code =
      response.status === 401
        ? 'UNAUTHENTICATED'
        : response.status === 403
          ? 'FORBIDDEN'
          : undefined;
    return new GraphQLError(`${response.status}: ${response.statusText}`, {
      extensions: {
        ...(code && { code }),
        response: {
          url: response.url,
          status: response.status,
          statusText: response.statusText,
          body,
        },
      },
    });
  }
}
