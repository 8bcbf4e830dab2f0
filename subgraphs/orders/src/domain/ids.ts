const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Order and user ids are UUIDs (uuid columns); anything else cannot exist, and is kept out
 * of SQL: PostgreSQL refuses it as a uuid, which would surface as an internal error.
 */
export const isUuid = (id: unknown): id is string => typeof id === 'string' && UUID.test(id);
export const isOrderId = isUuid;
