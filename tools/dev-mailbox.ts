// A local mailbox for `npm run up` on hosts without Docker (docker compose runs Mailpit
// instead): accepts every e-mail the notifications service sends over SMTP, keeps each as
// an .eml file and prints one line per message, so a developer can read what customers get.
//   tsx tools/dev-mailbox.ts [port] [folder]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

const port = Number(process.argv[2] ?? 1025);
const folder = path.resolve(process.argv[3] ?? '.cache/mail');
mkdirSync(folder, { recursive: true });
let received = 0;

const header = (raw: string, name: string) =>
  new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1] ?? '';

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  banner: 'shop development mailbox',
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received += 1;
      const file = path.join(folder, `${Date.now()}-${received}.eml`);
      writeFileSync(file, raw);
      const to = session.envelope.rcptTo.map((r) => r.address).join(', ');
      console.log(`mail to ${to}: ${header(raw, 'Subject')}  (${file})`);
      callback();
    });
  },
});
server.on('error', (err) => console.error(`mailbox error: ${err.message}`));
server.listen(port, '127.0.0.1', () =>
  console.log(`mailbox listening on smtp://127.0.0.1:${port}, saving to ${folder}`),
);
process.once('SIGTERM', () => server.close(() => process.exit(0)));
