import { Role, Scope, type Identity } from '@shop/auth';

/** ADMINs and COURIERs see every shipment: they run the deliveries. */
export function isDeliveryStaff(identity: Identity | null): boolean {
  return (
    identity?.kind === 'user' &&
    (identity.roles.includes(Role.ADMIN) || identity.roles.includes(Role.COURIER))
  );
}

/**
 * Who may read a shipment: the order's customer, ADMINs, COURIERs, and internal services
 * granted orders:read (a shipment is part of the order it belongs to, e.g. the tracking
 * number in a notification). Everyone else is told it does not exist.
 */
export function mayReadShipment(shipment: { userId: string }, identity: Identity | null): boolean {
  if (identity?.kind === 'service') return identity.scopes.includes(Scope.ORDERS_READ);
  return (
    isDeliveryStaff(identity) || (identity?.kind === 'user' && identity.userId === shipment.userId)
  );
}
