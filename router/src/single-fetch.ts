import type {
  ApolloGateway,
  GraphQLDataSource,
  GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import type {
  GatewayExecutor,
  GatewayGraphQLRequestContext,
  GatewayGraphQLResponse,
  GatewayInterface,
} from '@apollo/server-gateway-interface';
// Not exported from the package's index; the gateway's own code imports it from here.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { trace } from '@opentelemetry/api';
import {
  getNamedType,
  getVariableValues,
  isAbstractType,
  isEnumType,
  Kind,
  parse,
  print,
  stripIgnoredCharacters,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  BREAK,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { activeSpanRecording } from '@shop/telemetry';
import type { RouterContext } from './context';
import { LruCache } from './lru';

type RequestContext = GatewayGraphQLRequestContext<RouterContext>;
type Outcome = { response: GatewayGraphQLResponse } | { error: unknown };

/** Distinct operations remembered; a shop's clients send a few hundred at most. */
const ROUTES_CACHED = 2_000;

const tracer = trace.getTracer('shop-router');

/**
 * Queries whose whole plan is one fetch that asks the subgraph exactly what the client
 * asked, answered without the gateway's plan execution.
 *
 * For such a query the gateway would send the client's own selection to one subgraph,
 * then rebuild the answer field by field against the API schema (result shaping), only to
 * arrive at the data the subgraph sent. That rebuilding, and turning the document into the
 * planner's operation form on every request, were the largest items of the router's own
 * CPU on catalog listings (bench/results/router.md). Here the subgraph's `data` is the
 * answer, when nothing could make the two differ:
 *
 * - the operation is a query, planned as a single fetch with no entity representations,
 *   no rewrites, no @defer;
 * - the fetch's document, printed, is the client's operation (name aside): no `__typename`
 *   the planner added, no field it split off;
 * - no field of the selection has an abstract or enum type (the API schema can hide
 *   implementations and enum values that a subgraph still returns), and no introspection;
 * - the subgraph answered `data` and no errors.
 *
 * Whether an operation qualifies is decided once, from the plan the gateway made for its
 * first request. When a subgraph answer does not qualify (errors, no data, no answer), the
 * gateway executes the request as usual and its data source hands it the answer already
 * received (`replayed`) instead of calling the subgraph again — so errors, partial data
 * and outages read exactly as they always did.
 */
export class SingleFetchQueries {
  private readonly routes = new LruCache<string, FetchNode | null>(ROUTES_CACHED);
  private readonly prefetched = new WeakMap<object, Outcome>();

  constructor(private readonly dataSources: Readonly<Record<string, GraphQLDataSource>>) {}

  /** The gateway's `experimental_didResolveQueryPlan`: learns which operations qualify. */
  readonly learn = ({
    queryPlan,
    requestContext,
  }: {
    queryPlan: QueryPlan;
    requestContext: GatewayGraphQLRequestContext;
  }): void => {
    const key = routeKey(requestContext);
    if (key === undefined || this.routes.get(key) !== undefined) return;
    this.routes.set(key, singleFetchOf(queryPlan, requestContext));
  };

  /** A data source that gives the gateway an answer this class already received, once. */
  replaying(inner: GraphQLDataSource<RouterContext>): GraphQLDataSource<RouterContext> {
    return {
      process: async (options: GraphQLDataSourceProcessOptions<RouterContext>) => {
        if ('incomingRequestContext' in options) {
          const outcome = this.prefetched.get(options.incomingRequestContext);
          if (outcome) {
            this.prefetched.delete(options.incomingRequestContext);
            if ('error' in outcome) throw outcome.error;
            return outcome.response;
          }
        }
        return inner.process(options);
      },
    };
  }

  /** The gateway with this short path in front of its executor. */
  around(gateway: ApolloGateway): GatewayInterface {
    return {
      load: async (options) => {
        const loaded = await gateway.load(options);
        return { ...loaded, executor: this.executor(loaded.executor) };
      },
      onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
      stop: () => gateway.stop(),
    };
  }

  private executor(execute: GatewayExecutor): GatewayExecutor {
    return async (requestContext) => {
      const key = routeKey(requestContext);
      const fetch = key === undefined ? undefined : this.routes.get(key);
      const source = fetch ? this.dataSources[fetch.serviceName] : undefined;
      if (!fetch || !source) return execute(requestContext);
      const context = requestContext as RequestContext;
      const variables = variablesFor(fetch, context);
      // Variables that do not fit are the gateway's to refuse, with its usual errors.
      if (variables === null) return execute(requestContext);
      let outcome: Outcome;
      try {
        const response = await this.fetch(source, fetch, variables, context);
        if (isPlainData(response)) return { data: response.data };
        outcome = { response };
      } catch (error) {
        outcome = { error };
      }
      this.prefetched.set(requestContext, outcome);
      return execute(requestContext);
    };
  }

  private fetch(
    source: GraphQLDataSource<RouterContext>,
    fetch: FetchNode,
    variables: Record<string, unknown>,
    context: RequestContext,
  ): Promise<GatewayGraphQLResponse> {
    const process = () =>
      source.process({
        kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION,
        request: { query: fetch.operation, variables, operationName: fetch.operationName },
        incomingRequestContext: context,
        context: context.context,
        document: fetch.operationDocumentNode,
        pathInIncomingRequest: [],
      });
    // The same span the gateway opens per fetch, so a trace reads alike on both paths.
    if (!activeSpanRecording()) return process();
    return tracer.startActiveSpan(
      'gateway.fetch',
      { attributes: { service: fetch.serviceName } },
      async (span) => {
        try {
          return await process();
        } finally {
          span.end();
        }
      },
    );
  }
}

/** Apollo Server's hash of the document, with the operation picked from it. */
function routeKey(requestContext: GatewayGraphQLRequestContext): string | undefined {
  const { queryHash, request } = requestContext;
  if (!queryHash) return undefined;
  return `${queryHash}\n${request.operationName ?? ''}`;
}

/** The plan's fetch when the operation qualifies (see the class comment), else null. */
function singleFetchOf(
  queryPlan: QueryPlan,
  requestContext: GatewayGraphQLRequestContext,
): FetchNode | null {
  const { operation, document, schema } = requestContext;
  const fetch = queryPlan.node;
  if (operation?.operation !== 'query' || fetch?.kind !== 'Fetch') return null;
  if (
    fetch.requires?.length ||
    fetch.inputRewrites?.length ||
    fetch.outputRewrites?.length ||
    fetch.contextRewrites?.length ||
    fetch.hasDefers
  ) {
    return null;
  }
  const asked = unnamedText(document, operation);
  const sent = fetch.operationDocumentNode ?? parse(fetch.operation);
  const sentOperation = sent.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!sentOperation || unnamedText(sent, sentOperation) !== asked) return null;
  return selectsOnlyPlainTypes(schema, document) ? fetch : null;
}

/** The operation with the document's fragments, printed without its name. */
function unnamedText(document: DocumentNode, operation: OperationDefinitionNode): string {
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
  const unnamed: OperationDefinitionNode = { ...operation, name: undefined };
  return stripIgnoredCharacters(
    print({ kind: Kind.DOCUMENT, definitions: [unnamed, ...fragments] }),
  );
}

/** No field of an abstract or enum type, and no introspection, anywhere in the document. */
function selectsOnlyPlainTypes(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let plain = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const type = typeInfo.getType();
        const named = type ? getNamedType(type) : undefined;
        const introspection = node.name.value.startsWith('__') && node.name.value !== '__typename';
        if (!named || introspection || isAbstractType(named) || isEnumType(named)) {
          plain = false;
          return BREAK;
        }
        return undefined;
      },
    }),
  );
  return plain;
}

/**
 * The variables the fetch uses, as the gateway passes them on; null when the client's
 * variables do not fit the operation (the gateway's own check refuses them).
 */
function variablesFor(fetch: FetchNode, context: RequestContext): Record<string, unknown> | null {
  const given = context.request.variables ?? {};
  const definitions = context.operation.variableDefinitions ?? [];
  if (definitions.length > 0 || Object.keys(given).length > 0) {
    const { errors } = getVariableValues(context.schema, definitions, given);
    if (errors?.length) return null;
  }
  const variables: Record<string, unknown> = Object.create(null);
  for (const name of fetch.variableUsages ?? []) {
    if (Object.hasOwn(given, name) && given[name] !== undefined) variables[name] = given[name];
  }
  return variables;
}

function isPlainData(
  response: GatewayGraphQLResponse,
): response is { data: Record<string, unknown> } {
  return (
    response.errors === undefined &&
    response.data !== null &&
    typeof response.data === 'object' &&
    !Array.isArray(response.data)
  );
}
