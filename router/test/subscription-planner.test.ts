import { composeServices } from '@apollo/composition';
import { SubscriptionPlanner } from '../src/subscriptions/planner';
import { LruCache } from '../src/lru';
import { trackedOrdersSubgraph, trackingTypeDefs } from './support/tracking';

function planner(cacheSize?: number): SubscriptionPlanner {
  const { supergraphSdl, errors } = composeServices([
    { name: 'tracking', url: 'http://tracking.test/graphql', typeDefs: trackingTypeDefs },
    { name: 'orders', url: 'http://orders.test/graphql', typeDefs: trackedOrdersSubgraph.typeDefs },
  ]);
  if (errors) throw new Error(errors.map((e) => e.message).join('\n'));
  return new SubscriptionPlanner(supergraphSdl, {
    validationRules: [],
    maxTokens: 1000,
    hideSchemaDetails: false,
    cacheSize,
  });
}

const TRACKED = 'subscription T($id: ID!) { tracked(orderId: $id) { seq order { customer } } }';

describe('subscription plans', () => {
  it('streams from the owning subgraph and completes from the other', () => {
    const prepared = planner().prepare(TRACKED, 'T');

    expect(prepared.kind).toBe('plan');
    if (prepared.kind !== 'plan') return;
    expect(prepared.plan.primary.serviceName).toBe('tracking');
    expect(prepared.plan.primary.operation).toBe(
      'subscription T__tracking__0($id:ID!){tracked(orderId:$id){seq order{__typename id}}}',
    );
    expect(prepared.plan.primary.variableUsages).toEqual(['id']);
    expect(JSON.stringify(prepared.plan.rest)).toContain('"serviceName":"orders"');
  });

  it('plans a document once per operation name, and keeps refusals too', () => {
    const subscriptions = planner();

    expect(subscriptions.prepare(TRACKED, 'T')).toBe(subscriptions.prepare(TRACKED, 'T'));
    expect(subscriptions.prepare(TRACKED, undefined)).not.toBe(subscriptions.prepare(TRACKED, 'T'));
    const refused = subscriptions.prepare('subscription { nope }', undefined);
    expect(refused.kind).toBe('refused');
    expect(subscriptions.prepare('subscription { nope }', undefined)).toBe(refused);
  });

  it('keeps only as many plans as its cache holds, dropping the least recently used', () => {
    const subscriptions = planner(2);
    const first = subscriptions.prepare(TRACKED, 'T');
    subscriptions.prepare(`${TRACKED} `, 'T');
    subscriptions.prepare(TRACKED, 'T'); // used again: now the youngest
    subscriptions.prepare(`${TRACKED}  `, 'T'); // evicts the one with one space

    expect(subscriptions.prepare(TRACKED, 'T')).toBe(first);
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);

    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });
});
