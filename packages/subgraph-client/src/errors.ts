/**
 * Another subgraph could not be reached, did not answer in time, or answered something that
 * is not a usable GraphQL response (an HTML error page, an error code the caller cannot act
 * on, the wrong number of entities). The message names the subgraph and what happened, for
 * the log; it is never shown to a client. @shop/errors counts this class as an outage
 * (`isOutage`), so the subgraph's error masking answers SERVICE_UNAVAILABLE (retryable)
 * with its generic message, and logs this one.
 */
export class UpstreamUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamUnavailableError';
  }
}
