// What a hostile or broken client sends at a service, and what the shop promises back: a
// GraphQL-shaped JSON error with a code, never an HTML page, a stack trace or a file path.

/** A GraphQL error as a client reads it. */
export interface WireError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string } & Record<string, unknown>;
}

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
}

/** Sends bytes as they are: no JSON encoding, no header a client library would add. */
export async function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const res = await fetch(url, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    text: await res.text(),
  };
}

/**
 * Signs of an internal detail a client must never see: markup (Express's default error
 * page), stack frames, paths on the server's disk.
 */
const LEAKS: [string, RegExp][] = [
  ['HTML', /<(!doctype|html|body|pre)\b/i],
  ['a stack frame', /\bat [\w$.<>]+ \(|\n\s+at /],
  ['a file path', /(\/work\/|\/home\/|\/usr\/|node_modules|[\w-]+\.(ts|js):\d+)/],
];

/** The leaks found in a response body, by name (empty when it is clean). */
export function leaksIn(text: string): string[] {
  return LEAKS.filter(([, pattern]) => pattern.test(text)).map(([name]) => name);
}

/**
 * The errors of a response that must be a refusal as the shop shapes it: JSON, `errors`
 * with a message and a code each. Throws with the raw response otherwise, so a failing test
 * shows what the client really got.
 */
export function codedErrors(res: RawResponse): WireError[] {
  let body: { errors?: unknown };
  try {
    body = JSON.parse(res.text) as { errors?: unknown };
  } catch {
    throw new Error(`not JSON (${res.status}, ${res.contentType}): ${res.text.slice(0, 300)}`);
  }
  const errors = body.errors;
  const wellFormed =
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (e: WireError) =>
        typeof e?.message === 'string' &&
        e.message.length > 0 &&
        typeof e.extensions?.code === 'string',
    );
  if (!wellFormed) {
    throw new Error(`no coded errors (${res.status}): ${res.text.slice(0, 300)}`);
  }
  return errors as WireError[];
}

/** `http://host:port` of a service's `http://host:port/graphql`. */
export function originOf(graphqlUrl: string): string {
  return new URL(graphqlUrl).origin;
}
