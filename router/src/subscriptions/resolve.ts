import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@shop/errors';
import type { RouterContext } from '../context';
import { formatRouterError } from '../errors';
import type { EntityBatcher } from './entity-batch';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner';
import type { UpstreamEvent } from './upstream';

type RequestContext = Parameters<typeof executeQueryPlan>[2];
type Executed = Awaited<ReturnType<typeof executeQueryPlan>>;

export interface ResolverDependencies {
  planner: SubscriptionPlanner;
  /** The gateway's own data sources: fetches go out exactly as HTTP operations' do. */
  serviceMap: ServiceMap;
  /** Merges the `_entities` fetches of one identity's events that arrive together. */
  batcher: EntityBatcher;
}

/**
 * Resolves an upstream event into the client's result: the fields of other subgraphs the
 * subscription selects are fetched by running the plan as `Sequence[primary, rest]`, where
 * the primary fetch answers with the event itself (the gateway's executeQueryPlan refuses a
 * Subscription node but runs that sequence).
 *
 * ("Resolve", not "complete": in graphql-ws, complete is the message that ends a
 * subscription.)
 *
 * One resolver per subscription group: what does not depend on the event (the query plan,
 * the variables) is built once, not per event.
 */
export class EventResolver {
  private readonly queryPlan: QueryPlan;
  /** The gateway's data sources, batching this identity's `_entities` fetches. */
  private readonly sources: ServiceMap;

  constructor(
    private readonly plan: SubscriptionPlan,
    private readonly variables: Record<string, unknown>,
    /** The identity key of the group (group-key.ts): whose fetches may be merged. */
    identity: string,
    private readonly deps: ResolverDependencies,
  ) {
    const { primary, rest } = plan;
    this.queryPlan = {
      kind: 'QueryPlan',
      node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary,
    };
    this.sources = deps.batcher.sources(deps.serviceMap, identity);
  }

  /** Whether events need fetches from other subgraphs (else an event is the result as is). */
  get fetchesOthers(): boolean {
    return this.plan.rest !== undefined;
  }

  /**
   * The client's result for `event`, fetched with `context`'s token and request id. A fetch
   * that fails leaves its fields null with a masked error next to the data, as over HTTP.
   */
  async resolve(event: UpstreamEvent, context: RouterContext): Promise<FormattedExecutionResult> {
    const { plan, deps } = this;
    const { primary } = plan;
    const owner = this.sources[primary.serviceName];
    // Answers the primary fetch with the event; any later fetch to the same subgraph (an
    // entity field it also owns) goes out as usual.
    const eventSource: GraphQLDataSource = {
      process: (options) =>
        options.request.query === primary.operation || !owner
          ? Promise.resolve({ data: event.data ?? null, errors: event.errors })
          : owner.process(options),
    };
    // Fresh per event: the gateway appends to `metrics` as it goes, which would grow for
    // as long as the subscription lives.
    const requestContext = {
      request: { variables: this.variables, operationName: plan.operation.name?.value },
      context,
      metrics: {},
      logger: context.log,
    } as unknown as RequestContext;
    try {
      const result: Executed = await executeQueryPlan(
        this.queryPlan,
        { ...this.sources, [primary.serviceName]: eventSource },
        requestContext,
        plan.operationContext,
        deps.planner.supergraphSchema,
        deps.planner.apiSchema,
      );
      const data = result.data ?? null;
      if (!result.errors?.length) return { data };
      return { data, errors: result.errors.map((e) => formatEventError(e, context)) };
    } catch (error) {
      context.log.error({ err: error }, 'could not resolve a subscription event');
      return { data: null, errors: [formatEventError(error, context)] };
    }
  }
}

/** The variables of `variables` that `names` lists (those one fetch uses). */
export function pick(
  variables: Record<string, unknown>,
  names: readonly string[] | undefined,
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names ?? []) {
    if (Object.hasOwn(variables, name)) picked[name] = variables[name];
  }
  return picked;
}

/** An error the router itself gives a subscription (the upstream went away, …). */
export function relayError(message: string): GraphQLFormattedError {
  return { message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** The HTTP rule for errors (shop codes pass, anything else is masked and logged), per event. */
export function formatEventError(error: unknown, context: RouterContext): GraphQLFormattedError {
  let formatted: GraphQLFormattedError;
  if (error instanceof GraphQLError) formatted = error.toJSON();
  else if (isFormattedError(error)) formatted = error;
  else formatted = { message: String(error) };
  return formatRouterError(formatted, error, () =>
    context.log.error({ err: error, path: formatted.path }, 'unexpected error in subscription'),
  );
}

function isFormattedError(value: unknown): value is GraphQLFormattedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
