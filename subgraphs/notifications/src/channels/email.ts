import nodemailer, { type Transporter } from 'nodemailer';
import { classifySmtpError, DeliveryError, type SmtpErrorLike } from '../domain/delivery';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Resolves with the message id; throws a DeliveryError saying whether to retry. */
  send(message: EmailMessage): Promise<{ messageId: string | null }>;
  close(): void;
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

  constructor(private readonly options: SmtpOptions) {
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
