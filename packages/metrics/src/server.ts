import type http from 'node:http';
import type { Logger } from '@shop/logging';
import { registry } from './registry';

/**
 * Answers GET /metrics in Prometheus' text format (404 for anything else). Meant for a
 * listener of its own (startMetricsServer in @shop/subgraph-kit): the service's public port
 * never serves it. Pull model: nothing is sent anywhere, so a Prometheus that is down or
 * slow costs the service nothing; a scrape reads what requests already counted in memory.
 */
export function metricsHandler(
  logger: Logger,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('GET /metrics only\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (err: unknown) => {
        logger.error({ err }, 'could not collect the metrics');
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('metrics collection failed\n');
      },
    );
  };
}
