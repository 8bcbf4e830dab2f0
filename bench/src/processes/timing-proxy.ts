// A reverse proxy that times every call passing through it, by upstream and operation, in a
// process of its own: put in front of the services a subgraph calls, it shows where that
// subgraph's time goes without touching its code. Costs one more hop (and some CPU) per call.
// Input: { upstreams: { name: base URL } }. Announces { urls: { name: proxy URL with the
// upstream's path }, statsUrl }; GET statsUrl → figures by "name: operation", POST resets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Latencies } from '../latency';
import { announce, childInput, stopOnSigterm } from './child';

const { upstreams } = childInput<{ upstreams: Record<string, string> }>();
const agent = new http.Agent({ keepAlive: true });
let timings = new Map<string, Latencies>();
let since = performance.now();

/** "CheckoutCart" for a named GraphQL operation, otherwise the method and path without ids. */
function operation(method: string, path: string, body: Buffer): string {
  const named = /^\s*(?:query|mutation)\s+(\w+)/.exec(
    body.length && body[0] === 0x7b ? (safeQuery(body) ?? '') : '',
  );
  if (named) return named[1]!;
  // Stripe ids (pi_3Pq…) become ":id", so one kind of call is one row.
  return `${method} ${path.split('?')[0]!.replace(/\/[a-z]{2,8}_[A-Za-z0-9]{10,}/g, '/:id')}`;
}

function safeQuery(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString('utf8')) as { query?: string }).query;
  } catch {
    return undefined;
  }
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function proxy(name: string, base: URL): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = `${name}: ${operation(req.method ?? 'GET', req.url ?? '/', body)}`;
      const started = performance.now();
      const upstream = http.request(
        {
          host: base.hostname,
          port: base.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: base.host },
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on('end', () => {
            const latencies = timings.get(key) ?? new Latencies();
            latencies.add(performance.now() - started);
            timings.set(key, latencies);
          });
        },
      );
      upstream.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`timing proxy: ${name} unreachable: ${error.message}`);
      });
      upstream.end(body);
    });
  });
}

void (async () => {
  const servers: http.Server[] = [];
  const urls: Record<string, string> = {};
  for (const [name, url] of Object.entries(upstreams)) {
    const base = new URL(url);
    const server = proxy(name, base);
    servers.push(server);
    const port = await listen(server);
    urls[name] = `http://127.0.0.1:${port}${base.pathname === '/' ? '' : base.pathname}`;
  }
  const control = http.createServer((req, res) => {
    if (req.method === 'POST') {
      timings = new Map();
      since = performance.now();
      res.end('{}');
      return;
    }
    const elapsed = (performance.now() - since) / 1000;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify(Object.fromEntries([...timings].map(([key, l]) => [key, l.summary(elapsed)]))),
    );
  });
  servers.push(control);
  const statsUrl = `http://127.0.0.1:${await listen(control)}/stats`;
  stopOnSigterm(async () => {
    agent.destroy();
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    }
  });
  announce({ urls, statsUrl });
})();
