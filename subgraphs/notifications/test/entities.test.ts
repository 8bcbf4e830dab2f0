// notifications declares no entity (no @key): the _entities request that ended delivery's
// process is not even valid here, and is refused before any resolver runs.
import { fixtureForFile } from '@shop/test-harness';
import { startNotificationsStack } from './support/stack';

const stack = fixtureForFile(() => startNotificationsStack());

describe('_entities', () => {
  it('refuses the malformed representations request as invalid and keeps serving', async () => {
    const url = stack.notifications.service.url;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"query($r:[_Any!]!){_entities(representations:$r){__typename}}","variables":{"r":[{"__typename":"Shipment","id":null},{"__typename":"Nope"}]}}',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((e) => e.extensions.code)).toEqual(
      expect.arrayContaining(['GRAPHQL_VALIDATION_FAILED']),
    );
    const health = await fetch(url.replace(/\/graphql$/, '/healthz'));
    expect(health.status).toBe(200);
  });
});
