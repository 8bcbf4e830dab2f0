// GraphQL Code Generator: typed resolvers from this subgraph's SDL (federation mode).
// The deep import keeps the server code (Express, Apollo) out of the code generator.
import { subgraphCodegenConfig } from '@shop/subgraph-kit/src/codegen';

export default subgraphCodegenConfig({
  Product: '../store/product#ProductRecord',
  ProductConnection: '../store/product#ProductConnectionRecord',
  Category: '../store/category#CategoryRecord',
  StockReservation: '../store/stock-ledger#ReservationRecord',
});
