import type { IncomingMessage } from 'node:http';

/** Express's compiled `trust proxy` setting: is the address at this hop a trusted proxy? */
export type TrustProxy = (address: string, hop: number) => boolean;

/**
 * The client's address for a WebSocket upgrade, by the rule Express applies to `req.ip`
 * (which upgrade requests never get, as they bypass the Express app): walk from the
 * socket's peer back through X-Forwarded-For while each hop is a trusted proxy.
 */
export function forwardedClientIp(request: IncomingMessage, trust: TrustProxy): string {
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .reverse();
  const hops = [request.socket.remoteAddress ?? 'unknown', ...forwarded];
  for (let hop = 0; hop < hops.length - 1; hop++) {
    const address = hops[hop] as string;
    if (!trust(address, hop)) return address;
  }
  return hops[hops.length - 1] as string;
}
