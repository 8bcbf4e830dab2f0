// GraphQL Code Generator: typed resolvers from this subgraph's SDL (federation mode).
// The deep import keeps the server code (Express, Apollo) out of the code generator.
import { subgraphCodegenConfig } from '@shop/subgraph-kit/src/codegen';

export default subgraphCodegenConfig({
  Order: '../domain/references#OrderReference',
  Shipment: '../store/shipment#ShipmentRecord',
  TrackingEvent: '../store/shipment#TrackingEventView',
  DeliveryUpdate: '../store/shipment#DeliveryUpdateRecord',
});
