import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * GraphQL Code Generator config of a subgraph (its `codegen.ts`): typed resolvers from
 * `src/schema.graphql` in federation mode, with the subgraph's `Context`. `mappers` name
 * the TypeScript type each GraphQL type's resolvers receive as parent, relative to
 * `src/generated/`.
 */
export function subgraphCodegenConfig(mappers: Record<string, string>): CodegenConfig {
  return {
    schema: 'src/schema.graphql',
    generates: {
      'src/generated/graphql.ts': {
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          federation: true,
          useIndexSignature: true,
          contextType: '../context#Context',
          mappers,
          enumsAsTypes: true,
          scalars: { ID: 'string' },
        },
      },
    },
  };
}
