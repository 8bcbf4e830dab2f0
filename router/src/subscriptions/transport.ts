import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, type Server } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { REQUEST_ID_HEADER, requestIdFrom, type Logger } from '@shop/logging';
import type { RouterConfig } from '../config';
import type { RouterContext } from '../context';
import { spreadHeartbeat } from './heartbeat';

/** Why the router closes a client socket; graphql-ws's own codes come from its CloseCode. */
export const RouterCloseReason = {
  TOKEN_EXPIRED: 'Forbidden: the access token expired; reconnect with a fresh one',
  JWKS_UNAVAILABLE: 'The router could not check the access token; try again later',
  SHUTTING_DOWN: 'The router is shutting down',
} as const;

/** WebSocket's own "going away" close code (RFC 6455), for a router that shuts down. */
const GOING_AWAY = 1001;

/** How long a client gets to answer the shutdown close frame before its socket is cut. */
const SHUTDOWN_GRACE_MS = 1_000;

/** One client WebSocket: who it is, and when its token runs out. */
export interface ClientConnection {
  socket: WebSocket;
  requestId: string;
  clientIp: string;
  log: Logger;
  openedAt: number;
  /** Answered the last keep-alive ping. */
  alive: boolean;
  /** When the last keep-alive ping went out (Date.now()). */
  pingedAt: number;
  /** Writes one message, cutting off a client whose backlog passed the limit. */
  send(message: string): void;
  userId?: string;
  /** The verified identity, as subscription groups compare it (group-key.ts). */
  identity?: string;
  context?: RouterContext;
  /** Frees what the connection holds besides its socket (expiry timer, shared token). */
  release?: () => void;
}

/** graphql-ws's protocol server, whose sockets this transport feeds. */
export type ProtocolServer = Server<ClientConnection>;

export type TransportConfig = Pick<
  RouterConfig,
  'SUBSCRIPTION_KEEPALIVE_MS' | 'SUBSCRIPTION_MAX_BUFFERED_BYTES' | 'MAX_BODY_BYTES'
>;

export interface TransportOptions {
  httpServer: http.Server;
  config: TransportConfig;
  logger: Logger;
  /** The graphql-ws protocol: authentication, limits, planning (server.ts). */
  server: ProtocolServer;
  /** The client's address, through the same trusted proxies as HTTP requests. */
  clientIp: (request: http.IncomingMessage) => string;
}

export interface Transport {
  /** Open client connections. */
  readonly connections: number;
  /** Closes every client connection (1001) and waits until their subscriptions have ended. */
  close(): Promise<void>;
}

/**
 * The WebSocket side of subscriptions, as graphql-ws's `use/ws` is to its `makeServer`:
 * upgrades on /graphql, one keep-alive timer for all clients, the slow-reader cut-off, the
 * connection log lines, and shutdown. What the messages mean is the protocol server's.
 *
 * - Back-pressure: messages go into the socket's buffer without waiting for it to drain,
 *   so a client's whole backlog is its `bufferedAmount`; past SUBSCRIPTION_MAX_BUFFERED_BYTES
 *   the client is cut off (its subscriptions end) rather than grow memory.
 * - Keep-alive: a ping every SUBSCRIPTION_KEEPALIVE_MS to every client (spread over the
 *   interval, heartbeat.ts); one that has not answered the previous ping is cut off.
 */
export function serveWebSocket(options: TransportOptions): Transport {
  const { config, logger, httpServer, server } = options;
  const connections = new Set<ClientConnection>();
  const cleanups = new Set<Promise<void>>();

  const wss = new WebSocketServer({
    noServer: true,
    // The same bound as an HTTP body; a subscribe message is a document and its variables.
    maxPayload: config.MAX_BODY_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });

  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) => {
    const requestId = requestIdFrom(request.headers[REQUEST_ID_HEADER]);
    const log = logger.child({ requestId });
    const connection: ClientConnection = {
      socket,
      requestId,
      clientIp: options.clientIp(request),
      log,
      openedAt: Date.now(),
      alive: true,
      pingedAt: 0,
      // Not waiting for the write to drain is deliberate: the backlog then lives in the
      // socket's buffer, where bufferedAmount measures it, instead of piling up unseen.
      send: (message) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        socket.send(message);
        if (socket.bufferedAmount > config.SUBSCRIPTION_MAX_BUFFERED_BYTES) {
          log.warn(
            { userId: connection.userId, bufferedBytes: socket.bufferedAmount },
            'client reads too slowly; closing its connection',
          );
          // A close frame would wait behind the backlog the client is not reading.
          socket.terminate();
        }
      },
    };
    connections.add(connection);
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('error', (err) => log.debug({ err }, 'client socket error'));

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: connection.send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((err: unknown) => {
              log.error({ err }, 'subscription message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      connection,
    );

    socket.once('close', (code, reason) => {
      connections.delete(connection);
      connection.release?.();
      // Ends this client's subscriptions (each leaves its group); the shared sockets stay.
      const cleanup = closed(code, String(reason))
        .catch((err: unknown) => log.warn({ err }, 'ending subscriptions failed'))
        .finally(() => {
          cleanups.delete(cleanup);
          log.info(
            { userId: connection.userId, code, durationMs: Date.now() - connection.openedAt },
            'subscription connection closed',
          );
        });
      cleanups.add(cleanup);
    });
  });

  const onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(request.url ?? '/', 'http://router');
    if (pathname !== '/graphql') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Browsers send cookies on cross-site WebSockets, but the router reads none: identity
    // comes only from connection_init, so no Origin check is needed against hijacking.
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  httpServer.on('upgrade', onUpgrade);

  // One timer for every client, not one per connection, its work spread over the interval.
  const heartbeat = spreadHeartbeat(connections, config.SUBSCRIPTION_KEEPALIVE_MS, (connection) => {
    const now = Date.now();
    if (!connection.alive) {
      // A round can come back to a connection sooner than a full interval (those before it
      // closed meanwhile): it still gets the whole interval to answer.
      if (now - connection.pingedAt < config.SUBSCRIPTION_KEEPALIVE_MS) return;
      connection.log.info({ userId: connection.userId }, 'client missed a keep-alive pong');
      connection.socket.terminate();
      return;
    }
    connection.alive = false;
    connection.pingedAt = now;
    connection.socket.ping();
  });

  return {
    get connections() {
      return connections.size;
    },
    close: async () => {
      heartbeat.stop();
      httpServer.off('upgrade', onUpgrade);
      await Promise.all(
        [...connections].map(
          ({ socket }) =>
            new Promise<void>((resolve) => {
              socket.once('close', () => resolve());
              socket.close(GOING_AWAY, RouterCloseReason.SHUTTING_DOWN);
              setTimeout(() => socket.terminate(), SHUTDOWN_GRACE_MS).unref();
            }),
        ),
      );
      await Promise.all([...cleanups]);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
