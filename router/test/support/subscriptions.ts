import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import { startTokenIssuer, waitFor, type TokenIssuer } from '@shop/test-harness';
import { startLoggedRouter, type TestRouter } from './stack';
import { startTestSubgraph, type TestSubgraph } from './subgraph';
import { startTrackingSubgraph, trackedOrdersSubgraph, type TrackingSubgraph } from './tracking';

/** A token issuer, the tracking and orders subgraphs, and a router over their supergraph. */
export interface SubscriptionStack {
  tokens: TokenIssuer;
  tracking: TrackingSubgraph;
  orders: TestSubgraph;
  router: TestRouter;
  /** Another router on the same supergraph with more variables; stopped with the stack. */
  startRouter(environment?: Record<string, string>): Promise<TestRouter>;
  stop(): Promise<void>;
}

export async function startSubscriptionStack(
  environment: Record<string, string> = {},
): Promise<SubscriptionStack> {
  const workDir = mkdtempSync(path.join(tmpdir(), 'router-subscriptions-'));
  const tokens = await startTokenIssuer();
  const tracking = await startTrackingSubgraph(tokens);
  const orders = await startTestSubgraph(trackedOrdersSubgraph, tokens);
  const composed = composeServices(
    [tracking, orders].map(({ name, url, typeDefs }) => ({ name, url, typeDefs })),
  );
  if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
  const supergraphPath = path.join(workDir, 'supergraph.graphql');
  writeFileSync(supergraphPath, composed.supergraphSdl);

  const routers: TestRouter[] = [];
  const startRouter = async (extra: Record<string, string> = {}) => {
    const router = await startLoggedRouter({
      SUPERGRAPH_PATH: supergraphPath,
      JWKS_URL: tokens.jwksUrl,
      JWT_ISSUER: tokens.issuer,
      JWT_AUDIENCE: tokens.audience,
      ...environment,
      ...extra,
    });
    routers.push(router);
    return router;
  };
  const router = await startRouter();
  return {
    tokens,
    tracking,
    orders,
    router,
    startRouter,
    stop: async () => {
      for (const running of routers) await running.stop();
      await tracking.stop();
      await orders.stop();
      await tokens.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

/** ws://… of a router's /graphql. */
export function webSocketUrlOf(router: TestRouter): string {
  return router.url.replace(/^http/, 'ws');
}

export interface ClosedSocket {
  code: number;
  reason: string;
}

export interface TestClient {
  client: Client;
  /** Resolves when the socket to the router closes, with its close code. */
  closed: Promise<ClosedSocket>;
  /** The WebSocket to the router, once connected (to stop reading from it). */
  socket(): WebSocket | undefined;
}

export interface ConnectOptions {
  authorization?: string;
  /** Sent as the upgrade request's x-request-id header. */
  requestId?: string;
}

/**
 * A graphql-ws client of the router, as an app would use it, but without retries so every
 * close is seen. `authorization` goes into connection_init; omit it to send none.
 */
export function connect(
  router: TestRouter,
  { authorization, requestId }: ConnectOptions = {},
): TestClient {
  const headers: Record<string, string> = requestId ? { 'x-request-id': requestId } : {};
  class ClientSocket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  let onClosed: (closed: ClosedSocket) => void = () => undefined;
  const closed = new Promise<ClosedSocket>((resolve) => {
    onClosed = resolve;
  });
  let socket: WebSocket | undefined;
  const client = createClient({
    url: webSocketUrlOf(router),
    webSocketImpl: ClientSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: (connected) => {
        socket = connected as WebSocket;
      },
      closed: (event) => {
        const { code, reason } = event as ClosedSocket;
        onClosed({ code, reason: String(reason) });
      },
    },
  });
  return { client, closed, socket: () => socket };
}

export type Ending =
  { kind: 'complete' } | { kind: 'error'; errors?: unknown[]; code?: number; reason?: string };

export interface Recording {
  results: FormattedExecutionResult[];
  /** Resolves when the subscription ends: completed, or errored (GraphQL errors or a close). */
  ended: Promise<Ending>;
  /** Waits until at least `count` results have arrived; returns them all. */
  waitForResults(count: number): Promise<FormattedExecutionResult[]>;
  /** Completes the subscription from the client's side. */
  unsubscribe(): void;
}

/** Subscribes and records what arrives. */
export function record(client: Client, payload: SubscribePayload): Recording {
  const results: FormattedExecutionResult[] = [];
  let onEnded: (ending: Ending) => void = () => undefined;
  const ended = new Promise<Ending>((resolve) => {
    onEnded = resolve;
  });
  const unsubscribe = client.subscribe(payload, {
    next: (result) => {
      results.push(result as FormattedExecutionResult);
    },
    complete: () => onEnded({ kind: 'complete' }),
    error: (error) => {
      if (Array.isArray(error)) return onEnded({ kind: 'error', errors: error });
      const { code, reason } = error as { code?: number; reason?: string };
      onEnded({ kind: 'error', code, reason });
    },
  });
  return {
    results,
    ended,
    waitForResults: (count) =>
      waitFor(() => results.length >= count && results, {
        what: `${count} subscription results`,
      }),
    unsubscribe,
  };
}

export const TRACKED = `
  subscription Tracked($orderId: ID!) {
    tracked(orderId: $orderId) {
      seq
      status
      seenBy
      order { id customer seenBy requestId }
    }
  }
`;
