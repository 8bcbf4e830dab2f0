import { ApolloArmor } from '@escape.tech/graphql-armor';
import { ErrorCode, ShopError } from '@shop/errors';
import type { GraphQLError, ValidationContext, ValidationRule } from 'graphql';
import type { RouterConfig } from './config';

/** An operation over one of the router's limits; refused before it is planned. */
export class QueryTooComplexError extends ShopError {
  constructor(message: string) {
    super(ErrorCode.QUERY_TOO_COMPLEX, message);
  }
}

/** The most directives one operation may carry; no real operation comes close. */
const MAX_DIRECTIVES = 50;

/**
 * Reports a refusal as a QueryTooComplexError instead of graphql-armor's BAD_USER_INPUT
 * (which Apollo Server 5 relabels GRAPHQL_VALIDATION_FAILED anyway), so clients can tell
 * "make the operation smaller" from "fix your input". See formatRouterError.
 */
function refuseAsTooComplex() {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        // graphql-armor prefixes every message with "Syntax Error: ", which it is not.
        context?.reportError(
          new QueryTooComplexError(error.message.replace(/^Syntax Error: /, '')),
        ),
    ],
  };
}

/**
 * Validation rules that refuse operations too deep, with too many aliases or directives.
 * They run in Apollo Server's validation step, after parsing and before the gateway plans
 * or calls anything. The token limit is graphql-js's own (`parseOptions.maxTokens`).
 */
export function operationLimits(
  config: Pick<RouterConfig, 'MAX_QUERY_DEPTH' | 'MAX_ALIASES'>,
): ValidationRule[] {
  const { validationRules } = new ApolloArmor({
    maxDepth: { n: config.MAX_QUERY_DEPTH, flattenFragments: true, ...refuseAsTooComplex() },
    maxAliases: { n: config.MAX_ALIASES, ...refuseAsTooComplex() },
    maxDirectives: { n: MAX_DIRECTIVES, ...refuseAsTooComplex() },
    // Armor's cost ignores list sizes and variables; the router's own limit (cost.ts)
    // multiplies by each page's `first`, once the variables are known.
    costLimit: { enabled: false },
    // graphql-js counts tokens while it parses; armor's plugin would parse a second time.
    maxTokens: { enabled: false },
    // Apollo Server's hideSchemaDetailsFromClientErrors does this (production only).
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return validationRules;
}
