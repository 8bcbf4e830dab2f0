import { buildOperationContext } from '@apollo/gateway';
import { operationFromDocument, Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type FetchNode, type PlanNode } from '@apollo/query-planner';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import { ErrorCode, ProtocolCode, ShopError } from '@shop/errors';
import { LruCache } from '../lru';

type OperationContext = ReturnType<typeof buildOperationContext>;

/** How a subscription is relayed: which subgraph streams it, and what completes each event. */
export interface SubscriptionPlan {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationContext: OperationContext;
  /** The subscription as the owning subgraph (`primary.serviceName`) receives it. */
  primary: FetchNode;
  /** Fetches from the other subgraphs, run once per event; absent when one subgraph has it all. */
  rest?: PlanNode;
}

export type PreparedSubscription =
  { kind: 'plan'; plan: SubscriptionPlan } | { kind: 'refused'; errors: GraphQLError[] };

/** Codes of the errors the router itself gives a subscription before it reaches a subgraph. */
export const SubscriptionRefusal = {
  PARSE_FAILED: ProtocolCode.GRAPHQL_PARSE_FAILED,
  VALIDATION_FAILED: ProtocolCode.GRAPHQL_VALIDATION_FAILED,
  /** Not a subscription, or no operation to pick. */
  BAD_REQUEST: ProtocolCode.BAD_REQUEST,
} as const;

export const NOT_A_SUBSCRIPTION_MESSAGE =
  'Only subscriptions are served over WebSocket; send queries and mutations with HTTP POST to /graphql.';

/**
 * Plans subscriptions with the federation query planner, over the same supergraph the
 * gateway serves. Stock @apollo/gateway refuses to execute a subscription plan; the relay
 * runs its two halves itself (see relay.ts).
 */
export class SubscriptionPlanner {
  readonly apiSchema: Schema;
  /** The client-facing schema that operations are validated against. */
  readonly schema: GraphQLSchema;
  /** The supergraph with its join directives, which executeQueryPlan needs. */
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly rules: readonly ValidationRule[];
  /**
   * Keyed by operation name and document text. Mobile apps subscribe with a handful of
   * documents, so hits are the rule; refusals are kept too, so a client that repeats an
   * invalid document costs one lookup, not a parse and validation each time.
   */
  private readonly cache: LruCache<string, PreparedSubscription>;

  constructor(
    supergraphSdl: string,
    private readonly options: {
      /** Added to graphql-js's own rules: the router's depth and alias limits. */
      validationRules: readonly ValidationRule[];
      maxTokens: number;
      /** Production withholds "Did you mean …?" suggestions, as Apollo Server does for HTTP. */
      hideSchemaDetails: boolean;
      cacheSize?: number;
    },
  ) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.schema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    this.rules = [...specifiedRules, ...options.validationRules];
    this.cache = new LruCache(options.cacheSize ?? 500);
  }

  /** Parses, validates and plans a subscription, or says why it cannot be relayed. */
  prepare(query: string, operationName: string | undefined): PreparedSubscription {
    const key = `${operationName ?? ''}\n${query}`;
    let prepared = this.cache.get(key);
    if (!prepared) {
      prepared = this.prepareUncached(query, operationName);
      this.cache.set(key, prepared);
    }
    return prepared;
  }

  /**
   * Checks the client's variables against the operation (types, required ones present),
   * so a bad variable is the client's BAD_USER_INPUT here instead of a subgraph's error.
   */
  variableErrors(
    plan: SubscriptionPlan,
    variables: Record<string, unknown> | null | undefined,
  ): GraphQLError[] {
    const result = getVariableValues(
      this.schema,
      plan.operation.variableDefinitions ?? [],
      variables ?? {},
      { maxErrors: 10 },
    );
    return (result.errors ?? []).map(
      (error) =>
        new GraphQLError(error.message, {
          nodes: error.nodes,
          extensions: { code: ErrorCode.BAD_USER_INPUT },
        }),
    );
  }

  private prepareUncached(query: string, operationName: string | undefined): PreparedSubscription {
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: this.options.maxTokens });
    } catch (error) {
      const parseError = error as GraphQLError;
      return refused(parseError.message, SubscriptionRefusal.PARSE_FAILED, parseError);
    }
    const validationErrors = validate(this.schema, document, this.rules);
    if (validationErrors.length > 0) {
      return { kind: 'refused', errors: validationErrors.map((e) => this.validationError(e)) };
    }
    const operation = getOperationAST(document, operationName);
    if (!operation) {
      return refused(
        operationName
          ? `The document has no operation named "${operationName}".`
          : 'The document has several operations; say which one in operationName.',
        SubscriptionRefusal.BAD_REQUEST,
      );
    }
    if (operation.operation !== 'subscription') {
      return refused(NOT_A_SUBSCRIPTION_MESSAGE, SubscriptionRefusal.BAD_REQUEST);
    }
    const queryPlan = this.planner.buildQueryPlan(
      operationFromDocument(this.apiSchema, document, { operationName }),
    );
    const node = queryPlan.node;
    if (node?.kind !== 'Subscription') {
      // The planner plans every subscription this way; anything else is a planner change.
      throw new Error(
        `The query planner returned a ${node?.kind ?? 'empty'} plan for a subscription`,
      );
    }
    return {
      kind: 'plan',
      plan: {
        document,
        operation,
        operationContext: buildOperationContext({
          schema: this.schema,
          operationDocument: document,
          operationName,
        }),
        primary: node.primary,
        rest: node.rest,
      },
    };
  }

  private validationError(error: GraphQLError): GraphQLError {
    // The router's limits report themselves as QUERY_TOO_COMPLEX (see limits.ts).
    if (error instanceof ShopError) return error;
    const message = this.options.hideSchemaDetails
      ? error.message.replace(/ ?Did you mean(.+?)\?$/, '')
      : error.message;
    return new GraphQLError(message, {
      nodes: error.nodes,
      extensions: { code: SubscriptionRefusal.VALIDATION_FAILED },
    });
  }
}

function refused(message: string, code: string, source?: GraphQLError): PreparedSubscription {
  return {
    kind: 'refused',
    errors: [
      new GraphQLError(message, {
        source: source?.source,
        positions: source?.positions,
        extensions: { code },
      }),
    ],
  };
}
