import { Agent, fetch } from 'undici';
import { classifyHttpStatus, DeliveryError } from '../domain/delivery';

export interface SmsMessage {
  /** E.164, e.g. +4915112345678. */
  to: string;
  body: string;
}

/** Any SMS provider: resolves with its message id, throws a DeliveryError saying whether to retry. */
export interface SmsProvider {
  readonly configured: boolean;
  send(message: SmsMessage): Promise<{ messageId: string }>;
  close(): Promise<void>;
}

export const SMS_NOT_CONFIGURED =
  'SMS is not configured (SMS_ACCOUNT_SID, SMS_AUTH_TOKEN and SMS_FROM are not set)';

/** The provider of a deployment without SMS credentials: every SMS fails for that reason. */
export class UnconfiguredSms implements SmsProvider {
  readonly configured = false;

  async send(): Promise<never> {
    throw new DeliveryError('not-configured', SMS_NOT_CONFIGURED);
  }

  async close(): Promise<void> {}
}

export interface TwilioOptions {
  /** https://api.twilio.com, or a compatible provider. */
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  timeoutMs: number;
}

/**
 * Twilio's Messages API (and providers that speak it):
 * POST {api}/2010-04-01/Accounts/{AccountSid}/Messages.json, form-encoded To, From, Body,
 * HTTP Basic AccountSid:AuthToken; 201 with the message resource (`sid`); errors as
 * { code, message, more_info, status }.
 */
export class TwilioSms implements SmsProvider {
  readonly configured = true;
  private readonly agent = new Agent({ connections: 8 });

  constructor(private readonly options: TwilioOptions) {}

  async send(message: SmsMessage): Promise<{ messageId: string }> {
    const { apiUrl, accountSid, authToken, from, timeoutMs } = this.options;
    const url = `${apiUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        dispatcher: this.agent,
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ To: message.to, From: from, Body: message.body }).toString(),
      });
    } catch (error) {
      throw new DeliveryError('temporary', `SMS API unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const json = (await response.json().catch(() => ({}))) as {
      sid?: string;
      code?: number;
      message?: string;
    };
    const failure = classifyHttpStatus(response.status);
    if (failure) {
      const detail = json.message ? `: ${json.message}` : '';
      const code = json.code ? ` (error ${json.code})` : '';
      throw new DeliveryError(failure, `SMS API answered HTTP ${response.status}${detail}${code}`);
    }
    if (!json.sid) {
      throw new DeliveryError(
        'temporary',
        `SMS API answered HTTP ${response.status} without a sid`,
      );
    }
    return { messageId: json.sid };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
