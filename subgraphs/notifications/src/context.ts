import type { BaseContext } from '@shop/subgraph-kit';

/** Every resolver's first argument: who is asking (no loaders: each list is one query). */
export type Context = BaseContext;
