import type { ApolloServerPlugin } from '@apollo/server';
import {
  getArgumentValues,
  getNamedType,
  getNullableType,
  isCompositeType,
  isListType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  getVariableValues,
  type SelectionSetNode,
  visit,
  BREAK,
} from 'graphql';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '@shop/subgraph-kit';
import type { RouterConfig } from './config';
import { QueryTooComplexError } from './limits';

export interface CostOptions {
  /** What a list field without a `first` argument is counted as holding. */
  listSize: number;
}

/** Meta fields every composite type has, which `getFields()` leaves out. */
function fieldOf(
  parentType: GraphQLCompositeType,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (name === '__schema') return SchemaMetaFieldDef;
  if (name === '__type') return TypeMetaFieldDef;
  return 'getFields' in parentType ? parentType.getFields()[name] : undefined;
}

/**
 * The size of the page a connection field returns: its `first` argument (the variable's
 * value, or the default) as the subgraphs read it (20 unless given, at most 100).
 */
function pageSizeOf(first: unknown): number {
  if (typeof first !== 'number' || !Number.isFinite(first)) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(Math.trunc(first), 1), MAX_PAGE_SIZE);
}

/**
 * An upper bound of the fields a response to `operation` can hold: each selected field
 * counts once per object it is selected on, and a list multiplies what is selected inside
 * it by its size — a connection's `first` (its default when absent) for the `edges` or
 * `nodes` list inside it, `options.listSize` for any other list of objects. Fragments
 * count where they are spread, @skip/@include as if included, every alias separately.
 *
 * `{ products(first: 100) { edges { node { id name } } } }` costs 1 + 1 + 100 × 3 = 302:
 * products, edges, and node, id and name for each of 100 products.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  options: CostOptions,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      fragments.set(definition.name.value, definition);
    }
  }

  const costOf = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    // How many objects this selection is resolved on.
    multiplier: number,
    // The page size of the connection this selection set belongs to, for its list field.
    pageSize: number | undefined,
    // Fragments being expanded on this path (validation refuses cycles; this is a guard).
    spreading: ReadonlySet<string>,
  ): number => {
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = fieldOf(parentType, selection.name.value);
        if (!field) continue;
        cost += multiplier;
        if (!selection.selectionSet) continue;
        const childType = getNamedType(field.type);
        if (!isCompositeType(childType)) continue;

        let first: number | undefined;
        if (field.args.some((arg) => arg.name === 'first')) {
          first = pageSizeOf(getArgumentValues(field, selection, variables).first);
        }
        const isList = isListType(getNullableType(field.type));
        cost += costOf(
          selection.selectionSet,
          childType,
          isList ? multiplier * (first ?? pageSize ?? options.listSize) : multiplier,
          // A connection passes its page size to the list inside it (edges, nodes).
          isList ? undefined : first,
          spreading,
        );
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parentType;
        if (!type || !isCompositeType(type)) continue;
        cost += costOf(selection.selectionSet, type, multiplier, pageSize, spreading);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || spreading.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (!type || !isCompositeType(type)) continue;
        cost += costOf(
          fragment.selectionSet,
          type,
          multiplier,
          pageSize,
          new Set([...spreading, name]),
        );
      }
    }
    return cost;
  };

  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 0;
  return costOf(operation.selectionSet, rootType, 1, undefined, new Set());
}

/**
 * True when a `first` argument anywhere in the document (operations and fragments) takes
 * its value from a variable: the only way variables change an operation's cost.
 */
function pageSizeFromVariables(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Argument(node) {
      if (node.name.value !== 'first' || node.value.kind === Kind.INT) return;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** The settings the cost limit reads. */
export type CostConfig = Pick<RouterConfig, 'MAX_QUERY_COST' | 'QUERY_COST_LIST_SIZE'>;

/**
 * The refusal of an operation that costs more than MAX_QUERY_COST, or null. Variables that
 * do not fit the operation give null: such an operation is refused by its variables
 * before anything runs.
 */
export function queryCostRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  config: CostConfig,
): QueryTooComplexError | null {
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (!coerced.coerced) return null;
  const cost = operationCost(schema, document, operation, coerced.coerced, {
    listSize: config.QUERY_COST_LIST_SIZE,
  });
  if (cost <= config.MAX_QUERY_COST) return null;
  return new QueryTooComplexError(
    `Query cost limit of ${config.MAX_QUERY_COST} exceeded, found ${cost}. ` +
      'Ask for smaller pages (first), fewer fields or fewer aliases.',
  );
}

/**
 * Refuses, before planning, an operation whose cost (`operationCost`) is over
 * MAX_QUERY_COST: depth and alias limits alone let 30 aliases of `products(first: 100)`
 * through, which cost the subgraphs seconds. It runs once the operation is resolved, as
 * the cost depends on the variables (`first: $first`). Subscriptions are checked the same
 * way when they start (subscriptions/index.ts): each event costs what its selection does.
 */
export function queryCostPlugin(config: CostConfig): ApolloServerPlugin {
  // Operations within the limit whatever their variables: Apollo Server keeps one parsed
  // document per distinct query, so a storefront's fixed operations are counted once, not
  // on every request (coercing the variables and walking the selections each time).
  const withinLimit = new WeakSet<OperationDefinitionNode>();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // Without an operation there is nothing to count; protocol.ts refuses it.
          if (!operation || withinLimit.has(operation)) return;
          const refusal = queryCostRefusal(
            schema,
            document,
            operation,
            request.variables ?? {},
            config,
          );
          if (!refusal && !pageSizeFromVariables(document)) withinLimit.add(operation);
          if (refusal) {
            // Nothing ran: the client's request is too big, not the server's failure.
            refusal.extensions.http = { status: 400 };
            throw refusal;
          }
        },
      };
    },
  };
}
