import { randomUUID } from 'node:crypto';

export const TEST_MONGODB_URL = process.env.TEST_MONGODB_URL ?? 'mongodb://127.0.0.1:27017';

/**
 * A MongoDB database name of its own for one test file. The service under test connects
 * with it and drops it when the test file is done (`connection.dropDatabase()`).
 */
export function testMongoDatabase(name: string): { url: string; dbName: string } {
  const dbName = `test_${name}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  return { url: TEST_MONGODB_URL, dbName };
}
