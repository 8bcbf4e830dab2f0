import type { GraphQLResponse } from '@shop/test-harness';

/** Exactly one error, with this code and these extensions (e.g. `field`, `available`). */
export function expectError(
  res: GraphQLResponse<unknown>,
  code: string,
  extensions: Record<string, unknown> = {},
): void {
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]!.extensions).toMatchObject({ code, ...extensions });
}

/** No errors; returns the data. */
export function ok<T>(res: GraphQLResponse<T>): T {
  expect(res.errors).toBeUndefined();
  return res.data!;
}
