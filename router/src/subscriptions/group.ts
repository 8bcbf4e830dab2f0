import { SpanKind, trace } from '@opentelemetry/api';
import type { FormattedExecutionResult } from 'graphql';
import type { RouterContext } from '../context';
import type { ConcurrencyLimit } from './limit';
import type { SubscriptionPlan } from './planner';
import {
  EventResolver,
  formatEventError,
  pick,
  relayError,
  type ResolverDependencies,
} from './resolve';
import {
  isCloseEvent,
  type UpstreamCaller,
  type UpstreamEvent,
  type UpstreamPool,
} from './upstream';

const tracer = trace.getTracer('@shop/router');

/**
 * Most upstream events one group may have waiting to be resolved. Resolving an event takes
 * subgraph calls; a subgraph that streams faster than the others answer would otherwise
 * queue events without bound. Past this the group's subscriptions end with an error.
 */
export const MAX_PENDING_EVENTS = 100;

export const UPSTREAM_LOST_MESSAGE =
  'The service behind this subscription stopped sending events. Subscribe again.';
export const TOO_MANY_PENDING_MESSAGE =
  'Events arrived faster than the router could complete them. Subscribe again.';

/** The client connection a member belongs to. */
export interface MemberConnection {
  /** Writes one graphql-ws message to the client, with the connection's slow-reader cut-off. */
  send(message: string): void;
}

export interface GroupDependencies extends ResolverDependencies {
  /** The router's shared upstream sockets. */
  upstream: UpstreamPool;
  /** Shared by every group: events being resolved with other subgraphs' fields. */
  resolving: ConcurrencyLimit;
  /**
   * Subscription fields whose every subscription opens with a snapshot of the current state
   * (SUBSCRIPTION_SNAPSHOT_FIELDS): a client joining an existing group gets one of its own.
   */
  snapshotFields: ReadonlySet<string>;
}

/**
 * Members that joined a running group and wait for their snapshot: one short-lived upstream
 * subscription fetches it for all of them, and the group's events in the meantime wait.
 */
interface CatchUp {
  members: GroupMember[];
  /** The group's results (serialised) since this catch-up began, delivered after the snapshot. */
  held: string[];
  unsubscribe: () => void;
  done: boolean;
}

/**
 * The router's subscription groups by key (group-key.ts): client subscriptions with the
 * same identity, document and variables join one group, which holds one upstream
 * subscription and resolves each event once for all of them.
 */
export class SubscriptionGroups {
  private readonly groups = new Map<string, SubscriptionGroup>();

  constructor(private readonly deps: GroupDependencies) {}

  /**
   * Adds client subscription `id` of `connection` to the group of `key`, starting the
   * group (and its upstream subscription) if there is none. `context` is the client's:
   * the group's requests carry its token while it is the group's longest-standing member.
   */
  join(
    key: string,
    start: { plan: SubscriptionPlan; variables: Record<string, unknown>; identity: string },
    member: { id: string; connection: MemberConnection; context: RouterContext },
  ): GroupMember {
    const existing = this.groups.get(key);
    if (existing) return existing.join(member.id, member.connection, member.context);
    const group = new SubscriptionGroup(start, member.context, this.deps, () => {
      if (this.groups.get(key) === group) this.groups.delete(key);
    });
    this.groups.set(key, group);
    const joined = group.join(member.id, member.connection, member.context);
    group.start();
    return joined;
  }

  /** Groups open now and the client subscriptions in them (tests, diagnostics). */
  stats(): { groups: number; members: number } {
    let members = 0;
    for (const group of this.groups.values()) members += group.size;
    return { groups: this.groups.size, members };
  }
}

/**
 * One upstream subscription and the client subscriptions it serves. Each event is resolved
 * once (one `_entities` call per other subgraph, with one member's token), serialised once,
 * and the same text is written to every member's socket; events are resolved one at a
 * time, so every member receives them in the order the subgraph sent them.
 *
 * Whose token: the upstream subscription is placed with the first member's, and each event
 * is resolved with the token of the longest-standing member at that moment. When that
 * member leaves (completes, disconnects, or its token expires and its connection is closed
 * with 4403), the upstream subscription stays — the subgraph verified it for this identity,
 * and every remaining member is that same identity with a token still valid — and the next
 * member's token carries the following requests. The upstream caller is read through
 * getters, so a subscription the pool ever places again goes out with a current token.
 */
class SubscriptionGroup {
  private readonly members = new Set<GroupMember>();
  private readonly pending: UpstreamEvent[] = [];
  private readonly plan: SubscriptionPlan;
  private readonly variables: Record<string, unknown>;
  private readonly resolver: EventResolver;
  private unsubscribe: () => void = () => undefined;
  /** The upstream subscription has ended; members get `result` (if any) after the pending events. */
  private ending?: { result?: FormattedExecutionResult };
  private draining = false;
  /** The context of the last holder, for logs after every member has left. */
  private lastContext: RouterContext;
  /** Whether joiners need a snapshot of their own (the root field sends one first). */
  private readonly opensWithSnapshot: boolean;
  /** The catch-up under way, and the joiners waiting for the next one. */
  private catchingUp?: CatchUp;
  private waitingToCatchUp: GroupMember[] = [];
  /** The upstream subscription's first result went out (its snapshot, if it sends one). */
  private firstSent = false;

  constructor(
    {
      plan,
      variables,
      identity,
    }: { plan: SubscriptionPlan; variables: Record<string, unknown>; identity: string },
    firstContext: RouterContext,
    private readonly deps: GroupDependencies,
    /** Takes the group out of the registry: later subscribers start a group of their own. */
    private readonly onEnd: () => void,
  ) {
    this.plan = plan;
    this.variables = variables;
    this.resolver = new EventResolver(plan, variables, identity, deps);
    this.lastContext = firstContext;
    const root = plan.operation.selectionSet.selections[0];
    this.opensWithSnapshot = root?.kind === 'Field' && deps.snapshotFields.has(root.name.value);
  }

  get size(): number {
    return this.members.size;
  }

  /** The longest-standing member's context: its token, request id and logger. */
  private get context(): RouterContext {
    const holder = this.members.values().next().value as GroupMember | undefined;
    if (holder) this.lastContext = holder.context;
    return this.lastContext;
  }

  join(id: string, connection: MemberConnection, context: RouterContext): GroupMember {
    const member = new GroupMember(id, connection, context, this);
    this.members.add(member);
    // The group's opening snapshot goes to every member there when it is sent; a member
    // that joins after it gets one of its own before the group's events (see catchUp).
    // Not one that joins before: a catch-up finished first would be followed by the
    // group's own snapshot, and the client would read the shipment's state twice.
    if (this.firstSent && this.opensWithSnapshot) {
      member.waiting = true;
      this.waitingToCatchUp.push(member);
      if (!this.catchingUp) this.catchUp();
    }
    return member;
  }

  start(): void {
    this.unsubscribe = this.subscribeUpstream({
      next: (event) => this.received(event),
      error: (error) => this.upstreamEnded(this.upstreamFailure(error)),
      complete: () => this.upstreamEnded(undefined),
    });
  }

  private subscribeUpstream(sink: Parameters<UpstreamPool['subscribe']>[3]): () => void {
    const { primary } = this.plan;
    const context = () => this.context;
    const caller: UpstreamCaller = {
      get authorization() {
        return context().authorization;
      },
      get requestId() {
        return context().requestId;
      },
      get clientIp() {
        return context().clientIp;
      },
    };
    // With tracing on, a span for the upstream subscribe, whose context goes to the subgraph
    // in the subscribe message's extensions (upstream.ts); a no-op span when it is off.
    const name = `subscription ${primary.operationName ?? 'anonymous'}`;
    return tracer.startActiveSpan(
      name,
      { kind: SpanKind.CLIENT, attributes: { service: primary.serviceName } },
      (span) => {
        try {
          return this.deps.upstream.subscribe(
            primary.serviceName,
            {
              query: primary.operation,
              operationName: primary.operationName,
              variables: pick(this.variables, primary.variableUsages),
            },
            caller,
            sink,
          );
        } finally {
          span.end();
        }
      },
    );
  }

  /**
   * Fetches a snapshot for the members waiting for one: a short-lived upstream subscription
   * of the same identity, whose first message (the snapshot) is resolved and written to
   * them alone, followed by the group's results held for them meanwhile; then they are
   * members like the others. One at a time per group, for every member that joined while
   * the previous one was under way, so a burst of joiners costs a few, not one each.
   *
   * Nothing is lost: the group listened before each joiner arrived, so a step is in the
   * held results or in the snapshot (read after the catch-up subscribed), maybe both — as a
   * client subscribing directly may see it twice.
   */
  private catchUp(): void {
    const members = this.waitingToCatchUp;
    this.waitingToCatchUp = [];
    const catchUp: CatchUp = { members, held: [], unsubscribe: () => undefined, done: false };
    this.catchingUp = catchUp;
    const finish = (snapshot: FormattedExecutionResult | undefined) => {
      if (catchUp.done) return;
      catchUp.done = true;
      catchUp.unsubscribe();
      const payload = snapshot && JSON.stringify(snapshot);
      for (const member of members) {
        if (!this.members.has(member)) continue;
        member.waiting = false;
        if (payload) member.deliver(payload);
        for (const held of catchUp.held) {
          // The step the snapshot already shows, as the group resolved it too.
          if (held !== payload) member.deliver(held);
        }
      }
      this.catchingUp = undefined;
      if (this.waitingToCatchUp.length > 0 && !this.ending) this.catchUp();
    };
    catchUp.unsubscribe = this.subscribeUpstream({
      next: (event) => {
        if (catchUp.done) return;
        // Further events of this subscription are the group's too: only the first counts.
        catchUp.unsubscribe();
        void this.resolve(event).then(finish);
      },
      // Without a snapshot the members still get the group's events, from their join on.
      error: (error) => {
        this.context.log.warn({ err: error }, 'could not fetch a snapshot for new subscribers');
        finish(undefined);
      },
      complete: () => finish(undefined),
    });
  }

  /** A member completed or disconnected; the last one out ends the upstream subscription. */
  leave(member: GroupMember): void {
    if (!this.members.delete(member)) return;
    if (this.members.size > 0 || this.ending) return;
    this.ending = {};
    this.pending.length = 0;
    this.onEnd();
    this.unsubscribe();
    this.catchingUp?.unsubscribe();
  }

  private received(event: UpstreamEvent): void {
    if (this.ending) return;
    if (this.pending.length >= MAX_PENDING_EVENTS) {
      this.context.log.warn(
        { subgraph: this.plan.primary.serviceName, pending: this.pending.length },
        'subscription events pile up faster than they are resolved; ending it',
      );
      this.unsubscribe();
      this.upstreamEnded({ errors: [relayError(TOO_MANY_PENDING_MESSAGE)] });
      return;
    }
    this.pending.push(event);
    void this.drain();
  }

  private upstreamEnded(result: FormattedExecutionResult | undefined): void {
    if (this.ending) return;
    this.ending = { result };
    this.onEnd();
    void this.drain();
  }

  /** Resolves the pending events one at a time, then passes the end on once they are out. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.length > 0 && this.members.size > 0) {
        const event = this.pending.shift() as UpstreamEvent;
        const result = await this.resolve(event);
        // The group's own snapshot is older than those catching up will get: not held for them.
        const snapshot = this.opensWithSnapshot && !this.firstSent;
        this.firstSent = true;
        if (result) this.broadcast(JSON.stringify(result), snapshot);
      }
    } finally {
      this.draining = false;
    }
    if (this.ending && this.members.size > 0) {
      this.catchingUp?.unsubscribe();
      const { result } = this.ending;
      const payload = result && JSON.stringify(result);
      for (const member of [...this.members]) member.end(payload);
      this.members.clear();
    }
  }

  /** Undefined when every member left while the event waited for its turn. */
  private async resolve(event: UpstreamEvent): Promise<FormattedExecutionResult | undefined> {
    if (!this.resolver.fetchesOthers) return this.resolver.resolve(event, this.context);
    // An event that needs other subgraphs waits for a turn: many groups receiving events at
    // once would otherwise send as many requests at once, each with its own timeout running,
    // to a subgraph that answers a few hundred a second.
    return this.deps.resolving.run(async () =>
      this.members.size > 0 ? this.resolver.resolve(event, this.context) : undefined,
    );
  }

  /** One serialised result, the same text to every member (held for those catching up). */
  private broadcast(payload: string, snapshot: boolean): void {
    if (!snapshot) this.catchingUp?.held.push(payload);
    for (const member of this.members) {
      if (!member.waiting) member.deliver(payload);
    }
  }

  private upstreamFailure(error: unknown): FormattedExecutionResult {
    const context = this.context;
    const subgraph = this.plan.primary.serviceName;
    if (Array.isArray(error)) {
      // The subgraph refused the subscription with GraphQL errors (its validation, its
      // rules): every member is the same identity, so each reads them as its own answer.
      context.log.debug({ subgraph }, 'subgraph refused the subscription');
      return { errors: error.map((e) => formatEventError(e, context)) };
    }
    if (this.members.size > 0) {
      context.log.warn(
        isCloseEvent(error)
          ? { subgraph, code: error.code, reason: error.reason, subscribers: this.members.size }
          : { subgraph, err: error, subscribers: this.members.size },
        'upstream subscription lost',
      );
    }
    return { errors: [relayError(UPSTREAM_LOST_MESSAGE)] };
  }
}

/**
 * One client subscription in a group, as graphql-ws iterates it. Results do not pass
 * through the iterator: the group writes each `next` message itself, the result's text
 * serialised once for all members (graphql-ws would serialise it again for each of them;
 * see the README). The iterator only tells graphql-ws when the subscription is over, so it
 * sends `complete` after the last `next`; graphql-ws calls `return()` when the client
 * completes it or goes away.
 *
 * A hand-written iterator rather than an async generator: a generator waiting would not
 * run its `finally` on `return()`.
 */
export class GroupMember implements AsyncIterableIterator<FormattedExecutionResult> {
  /** `{"id":"<id>","type":"next","payload":`: the graphql-ws `next` message up to its payload. */
  private readonly prefix: string;
  private finished = false;
  private wake?: () => void;
  /** Joined a running group and waits for its snapshot; the group's results are held. */
  waiting = false;

  constructor(
    id: string,
    private readonly connection: MemberConnection,
    readonly context: RouterContext,
    private readonly group: SubscriptionGroup,
  ) {
    this.prefix = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Writes a result, already serialised, to this client. */
  deliver(payload: string): void {
    if (!this.finished) this.connection.send(this.prefix + payload + '}');
  }

  /** The group is over: one last result (why) if any, then graphql-ws sends `complete`. */
  end(payload?: string): void {
    if (payload) this.deliver(payload);
    this.finish();
  }

  next(): Promise<IteratorResult<FormattedExecutionResult, undefined>> {
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.wake = () => resolve({ value: undefined, done: true });
    });
  }

  /** The client completed the subscription or went away. */
  async return(): Promise<IteratorResult<FormattedExecutionResult, undefined>> {
    this.group.leave(this);
    this.finish();
    return { value: undefined, done: true };
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.wake?.();
    this.wake = undefined;
  }
}
