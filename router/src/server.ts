import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import cors from 'cors';
import express from 'express';
import { remoteJwks, TokenVerifier } from '@shop/auth';
import { createLogger, REQUEST_ID_HEADER, type Logger } from '@shop/logging';
import {
  jsonClientError,
  jsonErrorHandler,
  jsonNotFound,
  unstorableTextPlugin,
} from '@shop/subgraph-kit';
import { accessLog, operationNamePlugin } from './access-log';
import { subgraphUrlVariable, type RouterConfig } from './config';
import { routerContext, type RouterContext } from './context';
import { formatRouterError, logInternalErrors, outageStatusPlugin } from './errors';
import { queryCostPlugin } from './cost';
import { operationLimits } from './limits';
import { cookielessGetsPassCsrfCheck, legacyJsonStatusPlugin } from './graphql-over-http';
import {
  MeasuredSubgraphDataSource,
  measureSubscriptions,
  operationMetricsPlugin,
} from './metrics';
import { operationResolutionPlugin } from './protocol';
import { SubgraphDataSource, SubgraphPool } from './subgraphs';
import {
  loadTrustedDocuments,
  RedisOperationCache,
  trustedDocumentCheck,
  trustedDocumentsOnly,
} from './persisted-operations';
import { startSubscriptionServer, type SubscriptionServer } from './subscriptions';
import { forwardedClientIp, type TrustProxy } from './client-ip';
import { graphqlLane } from './graphql-lane';
import { SingleFetchQueries } from './single-fetch';
import { queueBoard } from './queue-board';
import { operationSpanPlugin } from './operation-span';
import { sandboxLandingPage } from './sandbox';
import { webhookRelay } from './webhooks';

/** How long GET /readyz waits for each subgraph's own /readyz. */
const READINESS_TIMEOUT_MS = 2_000;

export interface RunningRouter {
  url: string;
  port: number;
  httpServer: http.Server;
  /** The client's address as the router takes it for a request (TRUST_PROXY applied). */
  clientIp: (request: http.IncomingMessage) => string;
  /** GraphQL subscriptions over graphql-ws on /graphql; null when SUBSCRIPTIONS_ENABLED is false. */
  subscriptions: SubscriptionServer | null;
  /**
   * Stops taking requests, closes subscription sockets, lets in-flight requests finish,
   * closes the subgraph connections.
   */
  stop: () => Promise<void>;
}

function readSupergraph(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the supergraph at ${path} (SUPERGRAPH_PATH): ${(error as Error).message}. ` +
        'Run npm run compose to create it.',
    );
  }
}

/**
 * Builds and starts the router: @apollo/gateway planning over the static supergraph,
 * served by Apollo Server 5 on Express 5, with token verification, operation limits,
 * error masking, request ids, /healthz and /readyz.
 */
export async function startRouter(
  config: RouterConfig,
  logger: Logger = createLogger('router', config.LOG_LEVEL),
): Promise<RunningRouter> {
  const pool = new SubgraphPool(config.SUBGRAPH_TIMEOUT_MS);
  // Filled by the gateway as it loads the supergraph: subgraph name → URL the router calls.
  const routingUrls = new Map<string, string>();
  // The same data sources serve HTTP operations and the completion of subscription events.
  const dataSources: Record<string, SubgraphDataSource> = {};
  const supergraphSdl = readSupergraph(config.SUPERGRAPH_PATH);
  const singleFetch = new SingleFetchQueries(dataSources);
  const gateway = new ApolloGateway({
    supergraphSdl,
    logger: logger.child({ component: 'gateway' }),
    experimental_didResolveQueryPlan: singleFetch.learn,
    buildService: ({ name, url }) => {
      const routingUrl = config.subgraphUrls[name] ?? url;
      if (!routingUrl) {
        throw new Error(
          `The supergraph has no URL for subgraph "${name}"; set ${subgraphUrlVariable(name)}.`,
        );
      }
      routingUrls.set(name, routingUrl);
      const DataSource = config.METRICS_ENABLED ? MeasuredSubgraphDataSource : SubgraphDataSource;
      const dataSource = new DataSource({
        name,
        url: routingUrl,
        fetcher: pool.fetcher,
        logger: logger.child({ component: 'subgraphs' }),
      });
      dataSources[name] = dataSource;
      return singleFetch.replaying(dataSource);
    },
  });

  const app = express();
  app.disable('x-powered-by');
  // Express hashes every answer (SHA-1) for an ETag that no client of a GraphQL POST ever
  // sends back; the storefront's GETs are persisted queries, cached by URL, not revalidated.
  app.set('etag', false);
  app.set('trust proxy', config.TRUST_PROXY);
  const httpServer = http.createServer();
  // Requests Node's HTTP parser refuses (control characters in a header, oversized
  // headers) get the same JSON error as every other refusal.
  httpServer.on('clientError', jsonClientError);

  const validationRules = operationLimits(config);
  // The manifest first: a file that cannot be read stops the start before anything opens.
  const trusted = config.TRUSTED_DOCUMENTS_PATH
    ? loadTrustedDocuments(config.TRUSTED_DOCUMENTS_PATH)
    : null;
  const admit = trusted ? trustedDocumentCheck(trusted) : undefined;
  const apq = config.APQ_REDIS_URL
    ? RedisOperationCache.connect(
        config.APQ_REDIS_URL,
        config.APQ_KEY_PREFIX,
        logger.child({ component: 'apq' }),
      )
    : null;
  if (trusted) logger.info({ documents: trusted.size }, 'trusted documents only');
  const apollo = new ApolloServer<RouterContext>({
    gateway: singleFetch.around(gateway),
    persistedQueries: apq ? { cache: apq, ttl: config.APQ_TTL_SECONDS } : undefined,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.SANDBOX_ENABLED
        ? ApolloServerPluginLandingPageLocalDefault(sandboxLandingPage)
        : ApolloServerPluginLandingPageDisabled(),
      operationNamePlugin,
      operationSpanPlugin as ApolloServerPlugin<RouterContext>,
      operationResolutionPlugin,
      queryCostPlugin(config),
      unstorableTextPlugin as ApolloServerPlugin<RouterContext>,
      logInternalErrors,
      outageStatusPlugin,
      legacyJsonStatusPlugin,
      ...(config.METRICS_ENABLED ? [operationMetricsPlugin] : []),
    ],
    // Sandbox is useless without introspection, and introspection without Sandbox only
    // helps whoever maps the API for an attack.
    introspection: config.SANDBOX_ENABLED,
    validationRules,
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    // No "Did you mean …?" field suggestions in production: they leak the schema.
    hideSchemaDetailsFromClientErrors: config.NODE_ENV === 'production',
    formatError: (formatted, error) => formatRouterError(formatted, error),
    includeStacktraceInErrorResponses: false,
    logger: logger.child({ component: 'apollo-server' }),
  });
  await apollo.start();
  for (const name of Object.keys(config.subgraphUrls)) {
    if (!routingUrls.has(name)) {
      logger.warn(
        { subgraph: name },
        `${subgraphUrlVariable(name)} is set, but the supergraph has no such subgraph`,
      );
    }
  }

  webhookRelay(app, routingUrls, pool, logger);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'router' });
  });
  // Routes are added once the gateway has loaded the supergraph, so a router that answers
  // can serve. Subgraph states are reported but do not fail the check: one subgraph down
  // must not take every router out of the load balancer (a partial outage would become a
  // total one); the router answers for what still works, with errors for the rest.
  app.get('/readyz', async (_req, res) => {
    const checks = await Promise.all(
      [...routingUrls].map(async ([name, url]) => {
        const problem = await pool.readinessProblem(url, READINESS_TIMEOUT_MS);
        return [name, problem ?? 'ready'] as const;
      }),
    );
    const subgraphs = Object.fromEntries(checks);
    const allReady = checks.every(([, state]) => state === 'ready');
    if (!allReady) logger.warn({ subgraphs }, 'some subgraphs are not ready');
    res.json({ status: allReady ? 'ready' : 'degraded', service: 'router', subgraphs });
  });

  const verifier = new TokenVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    keys: remoteJwks(config.JWKS_URL, {
      // Why the keys could not be fetched; each refused request is logged with its id too.
      onError: (err) => logger.error({ err, jwksUrl: config.JWKS_URL }, 'could not fetch the JWKS'),
    }),
  });
  // Bull Board at /admin/queues for ADMINs (docs/queue-board.md); before the 404 handler.
  const board = config.QUEUE_BOARD_ENABLED
    ? queueBoard(app, { config, verifier, logger: logger.child({ component: 'queue-board' }) })
    : null;
  // Tokens travel in the Authorization header, not cookies: no credentials mode needed.
  const corsHeaders = cors({
    origin: config.CORS_ORIGINS,
    exposedHeaders: [REQUEST_ID_HEADER],
    maxAge: 600,
  });
  const context = routerContext(verifier, logger);
  const clientIp = (req: http.IncomingMessage) =>
    forwardedClientIp(req, app.get('trust proxy fn') as TrustProxy);
  app.use(
    '/graphql',
    accessLog(logger),
    corsHeaders,
    express.json({ limit: config.MAX_BODY_BYTES }),
    cookielessGetsPassCsrfCheck,
    ...(admit ? [trustedDocumentsOnly(admit)] : []),
    expressMiddleware(apollo, {
      context: ({ req, res }) =>
        context({ headers: req.headers, clientIp: clientIp(req), accessLog: res.locals.accessLog }),
    }),
  );
  // Whatever Express refuses before Apollo Server sees it (a body too large, not JSON, in
  // a charset or encoding it cannot read, cut short), and unknown paths, is answered as a
  // GraphQL error with a 4xx status and BAD_REQUEST / NOT_FOUND — never Express's HTML
  // page, which shows a stack trace outside production. Anything else is logged with the
  // request id (res.locals.requestId, see accessLog) and masked.
  app.use(jsonNotFound);
  app.use(jsonErrorHandler(logger));

  const subscriptions = config.SUBSCRIPTIONS_ENABLED
    ? startSubscriptionServer({
        httpServer,
        config,
        verifier,
        logger: logger.child({ component: 'subscriptions' }),
        supergraphSdl,
        validationRules,
        routingUrls,
        serviceMap: dataSources,
        clientIp,
      })
    : null;
  httpServer.on(
    'request',
    graphqlLane(app, {
      apollo,
      context,
      cors: corsHeaders,
      clientIp,
      maxBodyBytes: config.MAX_BODY_BYTES,
      admit,
      logger,
    }),
  );
  // Read on scrape; GET /metrics itself is served on METRICS_PORT by runService.
  const unmeasure =
    subscriptions && config.METRICS_ENABLED ? measureSubscriptions(subscriptions) : null;

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.ROUTER_PORT, '0.0.0.0', resolve);
    });
  } catch (error) {
    await subscriptions?.close();
    await apollo.stop();
    await pool.close();
    await apq?.close();
    await board?.close();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  logger.info({ port, subgraphs: Object.fromEntries(routingUrls) }, 'router listening');

  return {
    port,
    url: `http://127.0.0.1:${port}/graphql`,
    httpServer,
    clientIp,
    subscriptions,
    stop: async () => {
      unmeasure?.();
      // First: an open WebSocket would keep the HTTP server from closing.
      await subscriptions?.close();
      await apollo.stop();
      await pool.close();
      await apq?.close();
      await board?.close();
    },
  };
}
