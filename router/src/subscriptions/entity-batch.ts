import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { GraphQLFormattedError } from 'graphql';

type ProcessOptions = Parameters<GraphQLDataSource['process']>[0];
type Response = Awaited<ReturnType<GraphQLDataSource['process']>>;

interface Waiting {
  options: ProcessOptions;
  representations: unknown[];
  resolve: (response: Response) => void;
  reject: (error: unknown) => void;
}

/**
 * Merges the `_entities` fetches that events of one identity send to one subgraph with the
 * same document in the same turn of the event loop into one request, whose answer is split
 * back in order. An admin or courier following many orders, each order its own group,
 * costs one request per subgraph for the events that arrive together, not one per order.
 *
 * Only per identity (the key the groups use): a request carries one token, and a subgraph
 * may answer two identities differently. Any member's token of that identity will do,
 * so the first fetch's headers go out with the merged one.
 */
export class EntityBatcher {
  private readonly batches = new Map<string, Waiting[]>();

  /** `serviceMap` with each data source batching `_entities` fetches made for `identity`. */
  sources(serviceMap: ServiceMap, identity: string): ServiceMap {
    const batched: ServiceMap = {};
    for (const [name, inner] of Object.entries(serviceMap)) {
      batched[name] = {
        process: (options) => this.process(`${identity}\n${name}`, inner, options),
      };
    }
    return batched;
  }

  private process(
    key: string,
    inner: GraphQLDataSource,
    options: ProcessOptions,
  ): Promise<Response> {
    const { query, variables } = options.request;
    const representations = variables?.representations;
    if (!query?.includes('_entities') || !Array.isArray(representations)) {
      return inner.process(options);
    }
    const batchKey = `${key}\n${query}`;
    let batch = this.batches.get(batchKey);
    if (!batch) {
      const started: Waiting[] = [];
      batch = started;
      this.batches.set(batchKey, started);
      setImmediate(() => {
        this.batches.delete(batchKey);
        void send(inner, started);
      });
    }
    const waiting = batch;
    return new Promise((resolve, reject) => {
      waiting.push({ options, representations, resolve, reject });
    });
  }
}

async function send(inner: GraphQLDataSource, batch: Waiting[]): Promise<void> {
  const [first] = batch;
  if (!first) return;
  if (batch.length === 1) {
    inner.process(first.options).then(first.resolve, first.reject);
    return;
  }
  const { request } = first.options;
  let response: Response;
  try {
    response = await inner.process({
      ...first.options,
      request: {
        ...request,
        variables: {
          ...request.variables,
          representations: batch.flatMap((w) => w.representations),
        },
      },
    });
  } catch (error) {
    for (const waiting of batch) waiting.reject(error);
    return;
  }
  const entities = (response.data as { _entities?: unknown } | null | undefined)?._entities;
  let offset = 0;
  for (const waiting of batch) {
    const from = offset;
    const to = offset + waiting.representations.length;
    offset = to;
    const errors = (response.errors ?? []).flatMap((error) => errorFor(error, from, to));
    waiting.resolve({
      ...response,
      data: Array.isArray(entities) ? { _entities: entities.slice(from, to) } : response.data,
      errors: errors.length > 0 ? errors : undefined,
    });
  }
}

/**
 * The part of the merged answer's `error` that concerns representations `from`…`to`: one
 * about an entity belongs to the fetch that asked for it, its index shifted back; one about
 * no entity in particular (the whole request) belongs to every fetch.
 */
function errorFor(error: GraphQLFormattedError, from: number, to: number): GraphQLFormattedError[] {
  const [field, index, ...rest] = error.path ?? [];
  if (field !== '_entities' || typeof index !== 'number') return [error];
  if (index < from || index >= to) return [];
  return [{ ...error, path: [field, index - from, ...rest] }];
}
