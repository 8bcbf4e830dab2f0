import net, { type AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** The store "goes down": every open connection is cut and new ones are refused. */
  close: () => Promise<void>;
  /** The store "comes back" on the same port. */
  reopen: () => Promise<void>;
  /**
   * New connections go to `target` from now on; open ones stay where they are. Like a
   * Service whose old replica is gone: the same address now leads to another.
   */
  retarget: (target: { host: string; port: number }) => void;
}

/**
 * A TCP proxy in front of a shared store (MongoDB, Redis, PostgreSQL), so a test can take
 * the store away from one service under test without stopping the store every other test
 * uses: point the service at `port`, then `close()` and `reopen()`.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  let current = target;
  const server = net.createServer((client) => {
    const upstream = net.connect(current.port, current.host);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', cut);
    upstream.on('close', cut);
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    reopen: () => listen(port),
    retarget: (next) => {
      current = next;
    },
  };
}
