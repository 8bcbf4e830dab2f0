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
          Cart: '../domain/cart#CartView',
          CartItem: '../domain/cart#CartLine',
          Product: '../domain/cart#ProductReference',
        },
        enumsAsTypes: true,
        scalars: { ID: 'string' },
      },
    },
  },
};
export default config;
