import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** The Message-ID header as sent. */
  messageId: string;
  raw: string;
}

/**
 * A real SMTP server in the test process (the `smtp-server` package): it accepts mail,
 * refuses chosen recipients with 550, and can be stopped and started again on its port.
 */
export interface SmtpTestServer {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Recipients answered with 550 5.1.1 (mailbox unavailable). */
  reject: Set<string>;
  /**
   * Recipients whose next message is kept (it is in `received`) but never answered, as when
   * the server's reply is lost or the sender stops before reading it: the sender cannot know
   * whether it was delivered. Each address is swallowed once.
   */
  swallow: Set<string>;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startSmtpServer(): Promise<SmtpTestServer> {
  const received: ReceivedMail[] = [];
  const reject = new Set<string>();
  const swallow = new Set<string>();
  let port = 0;
  let server: SMTPServer | null = null;

  const listen = async () => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (reject.has(address.address.toLowerCase())) {
          const error = new Error('5.1.1 Mailbox unavailable') as Error & { responseCode: number };
          error.responseCode = 550;
          return callback(error);
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const to = session.envelope.rcptTo.map((r) => r.address);
          received.push({
            ...parseMail(raw),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to,
            raw,
          });
          const swallowed = to.find((address) => swallow.delete(address.toLowerCase()));
          // No reply: the sender's socket timeout ends the connection.
          if (!swallowed) callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.server.address() as AddressInfo).port;
    server = s;
  };
  await listen();

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received,
    reject,
    swallow,
    stop: () =>
      new Promise<void>((resolve) => {
        const s = server;
        server = null;
        if (!s) return resolve();
        s.close(() => resolve());
      }),
    start: listen,
  };
}

/** Enough MIME for the messages nodemailer writes: headers, multipart, QP and base64. */
function parseMail(raw: string): {
  subject: string;
  text: string;
  html: string;
  messageId: string;
} {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = unfold(head ?? '');
  const subject = decodeWords(headers.get('subject') ?? '');
  const parts = collectParts(headers, rest.join('\r\n\r\n'));
  return {
    subject,
    text: parts['text/plain'] ?? '',
    html: parts['text/html'] ?? '',
    messageId: headers.get('message-id') ?? '',
  };
}

function unfold(head: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) map.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return map;
}

function collectParts(headers: Map<string, string>, body: string): Record<string, string> {
  const type = headers.get('content-type') ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (boundary) {
    const out: Record<string, string> = {};
    for (const section of body.split(`--${boundary}`).slice(1)) {
      if (section.startsWith('--')) break;
      const [head, ...rest] = section.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
      Object.assign(out, collectParts(unfold(head ?? ''), rest.join('\r\n\r\n')));
    }
    return out;
  }
  const mime = type.split(';')[0]!.trim().toLowerCase();
  const encoding = (headers.get('content-transfer-encoding') ?? '').toLowerCase();
  return { [mime]: decodeBody(body.trim(), encoding) };
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64')
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    return decodeQ(body.replace(/=\r?\n/g, ''));
  }
  return body;
}

function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_m, _charset, kind: string, text: string) =>
      kind.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQ(text.replace(/_/g, ' ')),
    );
}

/** Quoted-printable to UTF-8: =XX are bytes; a literal % must not be taken for one. */
function decodeQ(text: string): string {
  return decodeURIComponent(text.replace(/%/g, '%25').replace(/=([0-9A-F]{2})/gi, '%$1'));
}
