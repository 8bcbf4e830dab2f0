const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * True for a UUID, the shape of every id kept in a PostgreSQL uuid column (users, orders,
 * shipments). Anything else cannot exist, and is kept out of SQL: PostgreSQL refuses it as
 * a uuid, which would surface as an internal error instead of "not found" or bad input.
 */
export const isUuid = (id: unknown): id is string => typeof id === 'string' && UUID.test(id);
