import net from 'node:net';

export interface RawHttpResponse {
  status: number;
  headers: string;
  body: string;
}

/**
 * Sends an HTTP/1.1 request byte for byte over a socket: fetch and node:http refuse to
 * send header values holding NUL or control characters, which is what a hostile client
 * does send.
 */
export function rawRequest(
  url: string,
  { headers, body }: { headers: string[]; body: string },
): Promise<RawHttpResponse> {
  const { hostname, port, pathname } = new URL(url);
  const request =
    `POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
    'Content-Type: application/json\r\nConnection: close\r\n' +
    headers.map((h) => `${h}\r\n`).join('') +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // Written, not ended: a half-closed socket makes Node abort the request it is answering.
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    socket.setTimeout(5_000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        headers: split < 0 ? text : text.slice(0, split),
        body: split < 0 ? '' : text.slice(split + 4),
      });
    });
  });
}
