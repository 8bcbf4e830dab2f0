import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { composeServices } from '@apollo/composition';
import pino from 'pino';
import { startTokenIssuer, type TokenIssuer } from '@shop/test-harness';
import { loadRouterConfig } from '../../src/config';
import { startRouter, type RunningRouter } from '../../src/server';
import { ordersSubgraph, startTestSubgraph, usersSubgraph, type TestSubgraph } from './subgraph';

export interface GraphQLResponse {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestRouter extends RunningRouter {
  /** Every line the router logged, parsed. */
  logs: Record<string, unknown>[];
  /** POSTs an operation (or any JSON body) to /graphql. */
  post(body: unknown, headers?: Record<string, string>): Promise<GraphQLResponse>;
  /** GETs a path of the router, such as /readyz. */
  get(pathname: string, headers?: Record<string, string>): Promise<GraphQLResponse>;
}

/** A token issuer (with its JWKS), two real subgraphs and a router over a supergraph composed for them. */
export interface Stack {
  tokens: TokenIssuer;
  users: TestSubgraph;
  orders: TestSubgraph;
  router: TestRouter;
  /** Starts another router on the same supergraph with more variables; stopped with the stack. */
  startRouter(environment?: Record<string, string>): Promise<TestRouter>;
  /** Composes a supergraph with the subgraphs' URLs, or others given by name; returns its path. */
  composeSupergraph(urls?: Record<string, string>): string;
  stop(): Promise<void>;
}

/**
 * Starts a router on a free port with the given variables (NODE_ENV=test), capturing its
 * log lines; the caller stops it.
 */
export async function startLoggedRouter(environment: Record<string, string>): Promise<TestRouter> {
  const config = loadRouterConfig({ NODE_ENV: 'test', ROUTER_PORT: '0', ...environment });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const running = await startRouter(config, pino({ level: 'info' }, sink));
  const request = async (pathname: string, init: RequestInit): Promise<GraphQLResponse> => {
    const response = await fetch(new URL(pathname, running.url), init);
    const text = await response.text();
    const isJson = response.headers.get('content-type')?.includes('json');
    return {
      status: response.status,
      headers: response.headers,
      body: isJson ? JSON.parse(text) : text,
    };
  };
  return {
    ...running,
    logs,
    post: (body, headers = {}) =>
      request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    get: (pathname, headers = {}) => request(pathname, { headers }),
  };
}

export async function startStack(): Promise<Stack> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'router-test-'));
  const tokens = await startTokenIssuer();
  const users = await startTestSubgraph(usersSubgraph, tokens);
  const orders = await startTestSubgraph(ordersSubgraph, tokens);
  const routers: TestRouter[] = [];

  let supergraphs = 0;
  const composeSupergraph = (urls: Record<string, string> = {}): string => {
    const result = composeServices(
      [users, orders].map(({ name, url, typeDefs }) => ({
        name,
        url: urls[name] ?? url,
        typeDefs,
      })),
    );
    if (result.errors) throw new Error(result.errors.map((e) => e.message).join('\n'));
    const file = path.join(workDir, `supergraph-${++supergraphs}.graphql`);
    writeFileSync(file, result.supergraphSdl);
    return file;
  };
  const supergraphPath = composeSupergraph();

  const startTestRouter = async (extra: Record<string, string> = {}): Promise<TestRouter> => {
    const router = await startLoggedRouter({
      SUPERGRAPH_PATH: supergraphPath,
      JWKS_URL: tokens.jwksUrl,
      JWT_ISSUER: tokens.issuer,
      JWT_AUDIENCE: tokens.audience,
      ...extra,
    });
    routers.push(router);
    return router;
  };

  const router = await startTestRouter();
  return {
    tokens,
    users,
    orders,
    router,
    startRouter: startTestRouter,
    composeSupergraph,
    stop: async () => {
      for (const running of routers) await running.stop();
      await users.stop();
      await orders.stop();
      await tokens.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
