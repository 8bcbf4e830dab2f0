import {
  isObjectType,
  type GraphQLFieldResolver,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { BadUserInputError } from '@shop/errors';
import { hasUnstorableCharacters } from './text';

/** Longer than any id the shop issues (UUIDs, ObjectIds, slugs), short enough to be harmless. */
const MAX_KEY_LENGTH = 200;

/**
 * The key fields of every entity this subgraph can resolve, read from its `@key`
 * directives: `{ Product: ['id'], ... }`. A key marked `resolvable: false` is a stub the
 * subgraph only refers to, never one it is asked to resolve.
 */
function resolvableKeys(schema: GraphQLSchema): Map<string, string[][]> {
  const keys = new Map<string, string[][]>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.astNode) continue;
    const nodes = [type.astNode, ...(type.extensionASTNodes ?? [])];
    for (const directive of nodes.flatMap((node) => node.directives ?? [])) {
      if (directive.name.value !== 'key') continue;
      const argument = (name: string) =>
        directive.arguments?.find((a) => a.name.value === name)?.value;
      const fields = argument('fields');
      const resolvable = argument('resolvable');
      if (resolvable?.kind === 'BooleanValue' && !resolvable.value) continue;
      if (fields?.kind !== 'StringValue') continue;
      const names = fields.value.trim().split(/\s+/);
      keys.set(type.name, [...(keys.get(type.name) ?? []), names]);
    }
  }
  return keys;
}

/** Why a representation cannot be resolved, or null when it is well formed. */
function problemWith(representation: unknown, keys: Map<string, string[][]>): string | null {
  if (
    representation === null ||
    typeof representation !== 'object' ||
    Array.isArray(representation)
  ) {
    return 'A representation must be an object with __typename and its key fields.';
  }
  const fields = representation as Record<string, unknown>;
  const typename = fields.__typename;
  if (typeof typename !== 'string' || !keys.has(typename)) {
    return `This service resolves no entity of type ${JSON.stringify(String(typename)).slice(0, 80)}.`;
  }
  // One of the type's keys must be complete: every field a non-empty string (IDs travel
  // as strings between subgraphs) that a store can hold.
  const complete = keys.get(typename)!.some((key) =>
    key.every((name) => {
      const value = fields[name];
      return (
        typeof value === 'string' &&
        value.length > 0 &&
        value.length <= MAX_KEY_LENGTH &&
        !hasUnstorableCharacters(value)
      );
    }),
  );
  return complete
    ? null
    : `A ${typename} representation needs its key (${keys
        .get(typename)!
        .map((key) => key.join(' '))
        .join(' or ')}) as a non-empty string.`;
}

/**
 * Entity representations arrive over the network and are untrusted. This wraps the
 * subgraph's `Query._entities` so that each representation is checked before any
 * reference resolver sees it: a malformed one (unknown type, missing or non-string key)
 * becomes a BAD_USER_INPUT error at its own index, and the others are resolved as usual.
 * Reference resolvers can then rely on their key being a string.
 */
export function guardEntityRepresentations(schema: GraphQLSchema): void {
  const entitiesField = (schema.getQueryType() as GraphQLObjectType | undefined)?.getFields()
    ._entities;
  if (!entitiesField?.resolve) return;
  const resolve: GraphQLFieldResolver<unknown, unknown> = entitiesField.resolve;
  const keys = resolvableKeys(schema);

  entitiesField.resolve = async (source, args, context, info) => {
    const representations: unknown[] = Array.isArray(args.representations)
      ? (args.representations as unknown[])
      : [];
    const problems = representations.map((r) => problemWith(r, keys));
    if (problems.every((p) => p === null)) return resolve(source, args, context, info);

    const valid = representations.filter((_, i) => problems[i] === null);
    const resolved = valid.length
      ? ((await resolve(source, { ...args, representations: valid }, context, info)) as unknown[])
      : [];
    let next = 0;
    // graphql-js turns an Error in a list into a field error at that index only.
    return problems.map((problem) =>
      problem === null ? resolved[next++] : new BadUserInputError(problem, 'representations'),
    );
  };
}
