import { executeQueryPlan, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { QueryPlan } from '@apollo/query-planner';
import { GraphQLError, type FormattedExecutionResult, type GraphQLFormattedError } from 'graphql';
import { ErrorCode } from '@shop/errors';
import type { RouterContext } from '../context';
import { formatRouterError } from '../errors';
import type { SubscriptionPlan, SubscriptionPlanner } from './planner';
import type { ConcurrencyLimit } from './limit';
import { PushQueue } from './queue';
import { isCloseEvent, type UpstreamEvent, type UpstreamPool } from './upstream';

/**
 * Most upstream events one subscription may have waiting for completion. Completing an
 * event takes subgraph calls; a subgraph that streams faster than the others answer would
 * otherwise queue events without bound. Past this the subscription ends with an error.
 */
export const MAX_PENDING_EVENTS = 100;

export const UPSTREAM_LOST_MESSAGE =
  'The service behind this subscription stopped sending events. Subscribe again.';
export const TOO_MANY_PENDING_MESSAGE =
  'Events arrived faster than the router could complete them. Subscribe again.';

type RequestContext = Parameters<typeof executeQueryPlan>[2];

type Pending =
  { kind: 'event'; event: UpstreamEvent } | { kind: 'ended'; result: FormattedExecutionResult };

export interface RelayDependencies {
  planner: SubscriptionPlanner;
  /** The gateway's own data sources: completions are forwarded exactly as HTTP operations are. */
  serviceMap: ServiceMap;
  /** The router's shared upstream sockets. */
  upstream: UpstreamPool;
  /** The client connection's: its token travels with each upstream subscription. */
  context: RouterContext;
  /** Shared by every subscription: events being completed with other subgraphs' fields. */
  completions: ConcurrencyLimit;
}

/**
 * One client subscription, relayed: `plan.primary` streams from the owning subgraph, and
 * each event is completed with fields of the other subgraphs by running the plan as
 * `Sequence[primary, rest]`, where the primary fetch answers with the event itself (the
 * gateway's executeQueryPlan refuses a Subscription node but runs that sequence). Events
 * are completed one at a time, so they reach the client in the order the subgraph sent them.
 *
 * A hand-written iterator rather than an async generator: graphql-ws ends a subscription
 * with `return()`, and a generator waiting for the next upstream event would not run its
 * `finally` until that event came, leaving the upstream subscription open.
 */
export class SubscriptionRelay implements AsyncIterableIterator<FormattedExecutionResult> {
  private readonly queue = new PushQueue<Pending>();
  private readonly unsubscribe: () => void;
  private finished = false;

  constructor(
    private readonly plan: SubscriptionPlan,
    private readonly variables: Record<string, unknown>,
    private readonly deps: RelayDependencies,
  ) {
    const { primary } = plan;
    const { authorization, requestId, clientIp } = deps.context;
    this.unsubscribe = deps.upstream.subscribe(
      primary.serviceName,
      {
        query: primary.operation,
        operationName: primary.operationName,
        variables: pick(variables, primary.variableUsages),
      },
      { authorization, requestId, clientIp },
      {
        next: (event) => {
          if (this.queue.length >= MAX_PENDING_EVENTS) {
            deps.context.log.warn(
              { subgraph: primary.serviceName, pending: this.queue.length },
              'subscription events pile up faster than they are completed; ending it',
            );
            this.end({ errors: [relayError(TOO_MANY_PENDING_MESSAGE)] });
            this.dispose();
          } else {
            this.queue.push({ kind: 'event', event });
          }
        },
        error: (error) => this.end(this.upstreamFailure(error)),
        complete: () => this.queue.end(),
      },
    );
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<FormattedExecutionResult, undefined>> {
    const pending = await this.queue.next();
    if (pending.done) {
      this.dispose();
      return { value: undefined, done: true };
    }
    if (pending.value.kind === 'ended') return { value: pending.value.result, done: false };
    return { value: await this.complete(pending.value.event), done: false };
  }

  /** The client completed the subscription or went away: end it on the subgraph now. */
  async return(): Promise<IteratorResult<FormattedExecutionResult, undefined>> {
    this.dispose();
    this.queue.close();
    return { value: undefined, done: true };
  }

  /** Ends the stream with one last result, the client's notice of why. */
  private end(result: FormattedExecutionResult): void {
    this.queue.push({ kind: 'ended', result });
    this.queue.end();
  }

  private dispose(): void {
    if (this.finished) return;
    this.finished = true;
    this.unsubscribe();
  }

  private upstreamFailure(error: unknown): FormattedExecutionResult {
    const { context } = this.deps;
    const subgraph = this.plan.primary.serviceName;
    if (Array.isArray(error)) {
      // The subgraph refused the subscription with GraphQL errors (its validation, its
      // rules): the client reads them as the subgraph's answer, masked as HTTP ones are.
      context.log.debug({ subgraph }, 'subgraph refused the subscription');
      return { errors: error.map((e) => formatEventError(e, context)) };
    }
    if (!this.finished) {
      context.log.warn(
        isCloseEvent(error)
          ? { subgraph, code: error.code, reason: error.reason }
          : { subgraph, err: error },
        'upstream subscription lost',
      );
    }
    return { errors: [relayError(UPSTREAM_LOST_MESSAGE)] };
  }

  private async complete(event: UpstreamEvent): Promise<FormattedExecutionResult> {
    const { plan, deps } = this;
    const { primary, rest } = plan;
    const owner = deps.serviceMap[primary.serviceName];
    // Answers the primary fetch with the event; any later fetch to the same subgraph (an
    // entity field it also owns) goes out as usual.
    const eventSource: GraphQLDataSource = {
      process: (options) =>
        options.request.query === primary.operation || !owner
          ? Promise.resolve({ data: event.data ?? null, errors: event.errors })
          : owner.process(options),
    };
    const queryPlan: QueryPlan = {
      kind: 'QueryPlan',
      node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary,
    };
    // Fresh per event: the gateway appends to `metrics` as it goes, which would grow for
    // as long as the subscription lives.
    const requestContext = {
      request: { variables: this.variables, operationName: plan.operation.name?.value },
      context: deps.context,
      metrics: {},
      logger: deps.context.log,
    } as unknown as RequestContext;
    type Completed = Awaited<ReturnType<typeof executeQueryPlan>>;
    const execute = (): Promise<Completed> =>
      executeQueryPlan(
        queryPlan,
        { ...deps.serviceMap, [primary.serviceName]: eventSource },
        requestContext,
        plan.operationContext,
        deps.planner.supergraphSchema,
        deps.planner.apiSchema,
      );
    try {
      // An event that needs other subgraphs waits for a turn: one event fanned out to 10,000
      // subscribers would otherwise send 10,000 requests at once, each with its own timeout
      // running, to a subgraph that answers a few hundred a second. An event of a client
      // that left meanwhile is not completed at all.
      const result = rest
        ? await deps.completions.run(() =>
            this.finished ? Promise.resolve<Completed>({ data: null }) : execute(),
          )
        : await execute();
      const data = result.data ?? null;
      if (!result.errors?.length) return { data };
      return { data, errors: result.errors.map((e) => formatEventError(e, deps.context)) };
    } catch (error) {
      deps.context.log.error({ err: error }, 'could not complete a subscription event');
      return { data: null, errors: [formatEventError(error, deps.context)] };
    }
  }
}

function pick(
  variables: Record<string, unknown>,
  names: readonly string[] | undefined,
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of names ?? []) {
    if (Object.hasOwn(variables, name)) picked[name] = variables[name];
  }
  return picked;
}

function relayError(message: string): GraphQLFormattedError {
  return { message, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
}

/** The HTTP rule for errors (shop codes pass, anything else is masked and logged), per event. */
function formatEventError(error: unknown, context: RouterContext): GraphQLFormattedError {
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
