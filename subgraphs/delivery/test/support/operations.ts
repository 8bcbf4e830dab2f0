export const SHIPMENT_FIELDS = `
  __typename id status carrier trackingNumber order { __typename id }
  events { status location note at }
`;

export const RECORD = `mutation Record($shipmentId: ID!, $input: TrackingEventInput!) {
  recordTrackingEvent(shipmentId: $shipmentId, input: $input) { ${SHIPMENT_FIELDS} }
}`;

export const SHIPMENT = `query Shipment($id: ID!) { shipment(id: $id) { ${SHIPMENT_FIELDS} } }`;

/** What the router sends delivery to complete Order.shipment and Shipment references. */
export const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Order { id shipment { ${SHIPMENT_FIELDS} } }
    ... on Shipment { ${SHIPMENT_FIELDS} }
  }
}`;

/** The subscription as the router sends it to delivery. */
export const DELIVERY_UPDATED = `subscription DeliveryUpdated($orderId: ID!) {
  deliveryUpdated(orderId: $orderId) {
    shipment { __typename id trackingNumber status order { __typename id } }
    event { status location note at }
    snapshot
  }
}`;
