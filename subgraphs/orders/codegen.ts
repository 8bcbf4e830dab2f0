// GraphQL Code Generator: typed resolvers from this subgraph's SDL (federation mode).
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'src/schema.graphql',
  generates: {
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        federation: true,
        useIndexSignature: true,
        contextType: '../context#Context',
        mappers: {
          Order: '../store/order#OrderRecord',
          OrderLine: '../store/order#OrderLineView',
          User: '../domain/references#UserReference',
          Product: '../domain/references#ProductReference',
        },
        enumsAsTypes: true,
        scalars: { ID: 'string' },
      },
    },
  },
};
export default config;
