/**
 * How a message can fail, and what the shop does about it:
 * - `temporary`: the server was unreachable, timed out or asked us to come back later
 *   (SMTP 4xx, HTTP 429/5xx). The job is retried with backoff.
 * - `rejected`: the server refused this message for good (SMTP 5xx such as 550 for an
 *   unknown mailbox, HTTP 4xx from the SMS API). Marked FAILED at once, never retried.
 * - `not-configured`: the channel has no credentials in this deployment. Marked FAILED
 *   with that reason; retrying cannot help.
 */
export type DeliveryFailure = 'temporary' | 'rejected' | 'not-configured';

export class DeliveryError extends Error {
  constructor(
    readonly failure: DeliveryFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

/** The parts of a nodemailer error that say who is to blame. */
export interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  /** nodemailer ≥ 9 sets it from the reply class (RFC 5321: 5yz permanent except 503). */
  permanent?: boolean;
  message?: string;
}

/**
 * SMTP: a 5yz reply (except 503, a bad command sequence) refuses the message for good;
 * 4yz replies, connection errors, timeouts and anything without a reply are temporary.
 * Authentication failures are temporary too: they are the shop's configuration, not the
 * recipient's fault, and the message should go once the configuration is fixed.
 */
export function classifySmtpError(error: SmtpErrorLike): DeliveryFailure {
  if (error.code === 'EAUTH') return 'temporary';
  if (error.permanent === true) return 'rejected';
  const code = error.responseCode;
  if (code !== undefined && code >= 500 && code < 600 && code !== 503) return 'rejected';
  return 'temporary';
}

/**
 * HTTP APIs (the SMS provider): 429 and 5xx are temporary, 401/403 are the shop's
 * credentials (temporary: fixed by configuration), every other 4xx refuses the message.
 */
export function classifyHttpStatus(status: number): DeliveryFailure | null {
  if (status < 400) return null;
  if (status === 429 || status >= 500 || status === 401 || status === 403) return 'temporary';
  return 'rejected';
}

export type NotificationStatus = 'QUEUED' | 'SENT' | 'FAILED';

/** What a worker knows about a message someone already claimed. */
export interface ClaimState {
  status: NotificationStatus;
  /** FAILED for good (rejected, not configured): never sent again. */
  permanent: boolean;
  /** The job that claimed it. */
  ownerJobId: string;
  /** Until when the claim belongs to that job. */
  leaseUntil: Date;
}

/**
 * Each (event, channel) is sent at most once. A worker that finds the message claimed:
 * - `sent` / `failed`: nothing to do (delivered, or refused for good);
 * - `take`: it is the owner's own retry (same job id), or the owner's lease is over (the
 *   owner crashed or gave up), so this worker sends it;
 * - `busy`: another job owns it and may still be retrying; that job will deliver it.
 */
export function claimDecision(
  state: ClaimState,
  jobId: string,
  now: Date,
): 'sent' | 'failed' | 'take' | 'busy' {
  if (state.status === 'SENT') return 'sent';
  if (state.status === 'FAILED' && state.permanent) return 'failed';
  if (state.ownerJobId === jobId) return 'take';
  if (state.leaseUntil.getTime() <= now.getTime()) return 'take';
  return 'busy';
}
