// One GraphQL call as the shop benchmarks make it: Node's fetch (keep-alive), and anything
// but a clean answer throws with the answer, so a run with an error is never recorded.

export async function call<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T | null; errors?: unknown[] };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${operationName(query)}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  if (response.status !== 200 || body.errors || !body.data) {
    throw new Error(
      `${operationName(query)}: HTTP ${response.status}: ${JSON.stringify(body.errors ?? body).slice(0, 1000)}`,
    );
  }
  return body.data;
}

function operationName(query: string): string {
  return /^(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? query.slice(0, 40);
}
