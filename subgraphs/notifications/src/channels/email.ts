import nodemailer, { type Transporter } from 'nodemailer';
import { classifySmtpError, DeliveryError, type SmtpErrorLike } from '../domain/delivery';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Message-ID header, `<…@…>`: the same for every attempt at one notification. */
  messageId: string;
}

export interface Mailer {
  /**
   * The Message-ID of the notification `key` (its id). Stable, so that a message sent
   * again after an attempt whose outcome is unknown carries the Message-ID of the copy
   * that may have arrived, and mail systems that collapse duplicates by Message-ID can.
   */
  messageIdFor(key: string): string;
  /** Resolves with the message id; throws a DeliveryError saying whether to retry. */
  send(message: EmailMessage): Promise<{ messageId: string | null }>;
  close(): void;
}

/** The domain of an address such as `Shop <no-reply@shop.local>`; `localhost` if none. */
function domainOf(from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim())?.[1];
  return domain ?? 'localhost';
}

export interface SmtpOptions {
  /** smtp://[user:pass@]host:port or smtps://... */
  url: string;
  from: string;
  timeoutMs: number;
}

/**
 * E-mail over SMTP with nodemailer. One connection per message (no pool): a notification
 * worker sends a few messages a second at most, and a fresh connection per attempt means a
 * mail server that restarts costs one retried attempt, never a stuck pooled socket.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  private readonly domain: string;

  constructor(private readonly options: SmtpOptions) {
    this.domain = domainOf(options.from);
    const url = new URL(options.url);
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
      secure: url.protocol === 'smtps:',
      auth: url.username
        ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
        : undefined,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
    });
  }

  messageIdFor(key: string): string {
    return `<notification.${key}@${this.domain}>`;
  }

  async send(message: EmailMessage): Promise<{ messageId: string | null }> {
    try {
      const info = await this.transport.sendMail({ from: this.options.from, ...message });
      return { messageId: info.messageId ?? null };
    } catch (error) {
      const e = error as SmtpErrorLike;
      const reply = e.responseCode ? ` (SMTP ${e.responseCode})` : e.code ? ` (${e.code})` : '';
      throw new DeliveryError(classifySmtpError(e), `${e.message ?? String(error)}${reply}`, {
        cause: error,
      });
    }
  }

  close(): void {
    this.transport.close();
  }
}
