import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface FakeSms {
  to: string;
  from: string;
  body: string;
  sid: string;
}

/**
 * A local stand-in for Twilio's Messages API, following its published contract:
 * POST /2010-04-01/Accounts/{AccountSid}/Messages.json with form-encoded To, From and Body,
 * HTTP Basic AccountSid:AuthToken; 201 with the message resource (sid "SM" + 32 hex), or an
 * error { code, message, more_info, status }. `failNext` answers the next requests with
 * the given statuses (e.g. 400 for an invalid number, 503 for an outage).
 */
export interface SmsApiFake {
  url: string;
  accountSid: string;
  authToken: string;
  messages: FakeSms[];
  failNext: number[];
  stop(): Promise<void>;
}

export async function startSmsApiFake(): Promise<SmsApiFake> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const messages: FakeSms[] = [];
  const failNext: number[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  const error = (res: http.ServerResponse, status: number, code: number, message: string) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        code,
        message,
        more_info: `https://www.twilio.com/docs/errors/${code}`,
        status,
      }),
    );

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
      if (req.method !== 'POST' || req.url !== path) {
        return error(res, 404, 20404, 'The requested resource was not found');
      }
      if (req.headers.authorization !== expectedAuth) {
        return error(res, 401, 20003, 'Authentication Error - invalid username');
      }
      const status = failNext.shift();
      if (status !== undefined) {
        return status === 400
          ? error(res, 400, 21211, "The 'To' number is not a valid phone number.")
          : error(res, status, 20500, 'Internal Server Error');
      }
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const to = form.get('To');
      const from = form.get('From');
      const body = form.get('Body');
      if (!to || !from || !body) {
        return error(res, 400, 21604, "A 'To' phone number, 'From' and 'Body' are required.");
      }
      const sid = `SM${randomBytes(16).toString('hex')}`;
      messages.push({ to, from, body, sid });
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          sid,
          account_sid: accountSid,
          to,
          from,
          body,
          status: 'queued',
          num_segments: '1',
          direction: 'outbound-api',
          date_created: new Date().toUTCString(),
          uri: `${path.replace('.json', '')}/${sid}.json`,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    authToken,
    messages,
    failNext,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
