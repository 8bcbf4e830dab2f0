// GraphQL Code Generator: typed resolvers from this subgraph's SDL (federation mode).
// The deep import keeps the server code (Express, Apollo) out of the code generator.
import { subgraphCodegenConfig } from '@shop/subgraph-kit/src/codegen';

export default subgraphCodegenConfig({
  Order: '../store/order#OrderRecord',
  OrderConnection: '../store/order#OrderConnectionRecord',
  OrderLine: '../store/order#OrderLineView',
  User: '../domain/references#UserReference',
  Product: '../domain/references#ProductReference',
});
