import type { ApolloServerPlugin } from '@apollo/server';
import { trace } from '@opentelemetry/api';

/**
 * Names the request's HTTP server span after the GraphQL operation (`query ProductPage`,
 * `mutation checkout`), so a trace list reads as operations, not as a column of "POST".
 * The gateway's own spans under it (gateway.plan, one gateway.fetch per subgraph fetch of
 * the query plan) carry the details. Nothing happens when tracing is off: there is no span.
 */
export const operationSpanPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operationName, operation }) {
        const span = trace.getActiveSpan();
        if (!operation || !span?.isRecording()) return;
        span.updateName(`${operation.operation} ${operationName ?? 'anonymous'}`);
        span.setAttributes({
          'graphql.operation.type': operation.operation,
          ...(operationName && { 'graphql.operation.name': operationName }),
        });
      },
    };
  },
};
