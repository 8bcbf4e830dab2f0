import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GraphQLError } from 'graphql';
import { counter, DURATION_BUCKETS, histogram, scrapedGauge } from '@shop/metrics';
import type { RouterContext } from './context';
import { SubgraphDataSource } from './subgraphs';
import type { SubscriptionServer } from './subscriptions';

/**
 * Operation names are the client's choice: counted as they are, anyone could create a
 * series per request (`query A1`, `query A2`, ...) and exhaust Prometheus. The first
 * OPERATION_NAME_LIMIT distinct names a router sees keep their own series (the storefront
 * and back office use a few dozen); later ones are counted together under OTHER_OPERATIONS.
 * The query text is never a label.
 */
export const OPERATION_NAME_LIMIT = 200;
/** An operation without a name (`{ products { ... } }`). */
export const ANONYMOUS_OPERATION = '__anonymous';
/** A request refused before its operation was known: unparsable, invalid, no such name. */
export const UNRESOLVED_OPERATION = '__unresolved';
/** Names past OPERATION_NAME_LIMIT. */
export const OTHER_OPERATIONS = '__other';
/** Error codes are ours (stable, documented); anything else is counted as this one. */
const OTHER_CODE = 'INTERNAL_SERVER_ERROR';
const CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;

const operationDuration = histogram({
  name: 'shop_router_operation_duration_seconds',
  help: 'HTTP GraphQL operations at the router, from the request reaching Apollo Server to the response; its _count is the request rate.',
  labelNames: ['operation', 'type'] as const,
  buckets: DURATION_BUCKETS,
});
const operationErrors = counter({
  name: 'shop_router_operation_errors_total',
  help: 'HTTP GraphQL operations answered with at least one error of a code (a request with two codes counts once for each).',
  labelNames: ['operation', 'code'] as const,
});
const subgraphFetchDuration = histogram({
  name: 'shop_router_subgraph_fetch_duration_seconds',
  help: "The router's calls to a subgraph (query plan fetches and subscription event completion), answer or failure.",
  labelNames: ['subgraph'] as const,
  buckets: DURATION_BUCKETS,
});
const subgraphFetchErrors = counter({
  name: 'shop_router_subgraph_fetch_errors_total',
  help: 'Subgraph calls that failed: `unavailable` (no answer, timeout, 502-504) or `errors` (a GraphQL answer with errors).',
  labelNames: ['subgraph', 'kind'] as const,
});

/** Bounded operation names: every router of this process shares the known set. */
const knownOperations = new Set<string>();

function operationLabel(name: string | null | undefined): string {
  if (!name) return ANONYMOUS_OPERATION;
  if (knownOperations.has(name)) return name;
  if (knownOperations.size >= OPERATION_NAME_LIMIT) return OTHER_OPERATIONS;
  knownOperations.add(name);
  return name;
}

function codeOf(error: GraphQLError): string {
  const code = error.extensions?.code;
  return typeof code === 'string' && CODE_PATTERN.test(code) ? code : OTHER_CODE;
}

/**
 * Rate, errors and duration of each HTTP operation, by operation name and type. Added to
 * Apollo Server only when METRICS_ENABLED: a router with metrics off runs none of it.
 */
export const operationMetricsPlugin: ApolloServerPlugin<RouterContext> = {
  async requestDidStart() {
    const started = performance.now();
    let operation = UNRESOLVED_OPERATION;
    let type = 'unknown';
    let codes: Set<string> | null = null;
    return {
      async didResolveOperation(context) {
        operation = operationLabel(context.operationName);
        type = context.operation?.operation ?? 'unknown';
      },
      async didEncounterErrors({ errors }) {
        codes ??= new Set();
        for (const error of errors) codes.add(codeOf(error));
      },
      async willSendResponse() {
        operationDuration.observe({ operation, type }, (performance.now() - started) / 1000);
        for (const code of codes ?? []) operationErrors.inc({ operation, code });
      },
    };
  },
};

/** SubgraphDataSource that also times each call and counts the failed ones. */
export class MeasuredSubgraphDataSource extends SubgraphDataSource {
  override async process(options: GraphQLDataSourceProcessOptions<RouterContext>) {
    const subgraph = this.name;
    const started = performance.now();
    try {
      const response = await super.process(options);
      if (response.errors?.length) subgraphFetchErrors.inc({ subgraph, kind: 'errors' });
      return response;
    } catch (error) {
      subgraphFetchErrors.inc({ subgraph, kind: 'unavailable' });
      throw error;
    } finally {
      subgraphFetchDuration.observe({ subgraph }, (performance.now() - started) / 1000);
    }
  }
}

const websocketConnections = scrapedGauge(
  'shop_router_websocket_connections',
  'Open graphql-ws client connections.',
  [],
);
const subscriptions = scrapedGauge(
  'shop_router_subscriptions',
  'Client subscriptions open now.',
  [],
);
const subscriptionGroups = scrapedGauge(
  'shop_router_subscription_groups',
  'Shared upstream subscriptions (one per identity, document and variables) serving the client subscriptions.',
  [],
);

/** Reads the subscription server's counts on scrape; the returned function stops that. */
export function measureSubscriptions(server: SubscriptionServer): () => void {
  const removers = [
    websocketConnections.add(async () => [{ labels: {}, value: server.connections }]),
    subscriptions.add(async () => [{ labels: {}, value: server.groups().members }]),
    subscriptionGroups.add(async () => [{ labels: {}, value: server.groups().groups }]),
  ];
  return () => removers.forEach((remove) => remove());
}
