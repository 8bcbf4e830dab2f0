import type { GraphQLDataSource } from '@apollo/gateway';
import { EntityBatcher } from '../src/subscriptions/entity-batch';

type ProcessOptions = Parameters<GraphQLDataSource['process']>[0];

const ENTITIES =
  'query($representations:[_Any!]!){_entities(representations:$representations){...on Order{id total}}}';

/** An orders subgraph that answers each representation with its id; "broken" fails. */
function orders() {
  const calls: { representations: { id: string }[]; authorization?: string }[] = [];
  const source: GraphQLDataSource = {
    process: async (options) => {
      const representations = options.request.variables?.representations as { id: string }[];
      calls.push({
        representations,
        authorization: (options.context as { authorization?: string }).authorization,
      });
      return {
        data: {
          _entities: representations.map(({ id }) => ({
            id,
            total: id === 'broken' ? null : 4200,
          })),
        },
        errors: representations.flatMap(({ id }, i) =>
          id === 'broken' ? [{ message: 'no total', path: ['_entities', i, 'total'] }] : [],
        ),
      };
    },
  };
  return { source, calls };
}

function fetch(source: GraphQLDataSource, ids: string[], authorization: string) {
  return source.process({
    request: {
      query: ENTITIES,
      variables: { representations: ids.map((id) => ({ __typename: 'Order', id })) },
    },
    context: { authorization },
  } as unknown as ProcessOptions);
}

describe('merging one identity’s entity fetches', () => {
  it('sends the fetches of one turn as one request and gives each its own entities and errors', async () => {
    const { source, calls } = orders();
    const batcher = new EntityBatcher();
    const admin = batcher.sources({ orders: source }, 'admin-1').orders!;

    const [first, second] = await Promise.all([
      fetch(admin, ['o-1'], 'Bearer first'),
      fetch(admin, ['broken', 'o-3'], 'Bearer second'),
    ]);

    expect(calls).toEqual([
      {
        representations: [
          { __typename: 'Order', id: 'o-1' },
          { __typename: 'Order', id: 'broken' },
          { __typename: 'Order', id: 'o-3' },
        ],
        authorization: 'Bearer first',
      },
    ]);
    expect(first).toEqual({ data: { _entities: [{ id: 'o-1', total: 4200 }] }, errors: undefined });
    expect(second).toEqual({
      data: {
        _entities: [
          { id: 'broken', total: null },
          { id: 'o-3', total: 4200 },
        ],
      },
      errors: [{ message: 'no total', path: ['_entities', 0, 'total'] }],
    });
  });

  it('never merges the fetches of two identities', async () => {
    const { source, calls } = orders();
    const batcher = new EntityBatcher();

    const [ada, bob] = await Promise.all([
      fetch(batcher.sources({ orders: source }, 'user-ada').orders!, ['o-1'], 'Bearer ada'),
      fetch(batcher.sources({ orders: source }, 'user-bob').orders!, ['o-1'], 'Bearer bob'),
    ]);

    expect(calls.map((c) => c.authorization).sort()).toEqual(['Bearer ada', 'Bearer bob']);
    expect(ada).toEqual(bob);
  });

  it('passes other requests through untouched', async () => {
    const { calls } = orders();
    const passed: ProcessOptions[] = [];
    const inner: GraphQLDataSource = {
      process: async (options) => {
        passed.push(options);
        return { data: { order: { id: 'o-1' } } };
      },
    };
    const source = new EntityBatcher().sources({ orders: inner }, 'admin-1').orders!;

    const answer = await source.process({
      request: { query: '{ order(id: "o-1") { id } }', variables: {} },
      context: {},
    } as unknown as ProcessOptions);

    expect(answer).toEqual({ data: { order: { id: 'o-1' } } });
    expect(passed).toHaveLength(1);
    expect(calls).toHaveLength(0);
  });
});
