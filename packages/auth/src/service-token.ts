export interface ServiceTokenOptions {
  /** The users service's token endpoint, e.g. http://users:4001/oauth/token. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for; empty asks for all the client's scopes. */
  scope?: string;
  /** Renew this long before expiry, so a token never expires in flight. */
  renewBeforeSeconds?: number;
}

/**
 * Fetches and caches a service access token through the OAuth 2.0 client-credentials
 * grant. Concurrent callers share one in-flight request; the token is renewed shortly
 * before it expires.
 */
export class ServiceTokenClient {
  private cached: { token: string; renewAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly options: ServiceTokenOptions) {}

  async token(): Promise<string> {
    if (this.cached && Date.now() < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** Forget the cached token, e.g. after a 401 from a service that rotated its keys. */
  invalidate(): void {
    this.cached = null;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope } = this.options;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) body.set('scope', scope);
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    const json = (await response.json().catch(() => ({}))) as {
      access_token?: string;
      expires_in?: number;
      error?: string;
      error_description?: string;
    };
    if (!response.ok || !json.access_token) {
      throw new Error(
        `client-credentials token request for ${clientId} failed (HTTP ${response.status}): ` +
          `${json.error ?? 'no token'}${json.error_description ? ` — ${json.error_description}` : ''}`,
      );
    }
    const lifetime = json.expires_in ?? 60;
    const margin = Math.min(this.options.renewBeforeSeconds ?? 60, lifetime / 2);
    this.cached = { token: json.access_token, renewAt: Date.now() + (lifetime - margin) * 1000 };
    return json.access_token;
  }
}
