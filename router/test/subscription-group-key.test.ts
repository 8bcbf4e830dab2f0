import { groupKey, identityKey } from '../src/subscriptions/group-key';

const customer = { kind: 'user', userId: 'u-1', roles: ['CUSTOMER'], scopes: ['shop'] } as const;

describe('which subscriptions share a group', () => {
  it('the same identity whatever the order of its roles and scopes', () => {
    expect(
      identityKey({ kind: 'user', userId: 'u-1', roles: ['ADMIN', 'COURIER'], scopes: ['b', 'a'] }),
    ).toBe(
      identityKey({ kind: 'user', userId: 'u-1', roles: ['COURIER', 'ADMIN'], scopes: ['a', 'b'] }),
    );
  });

  it('not another subject, another role, another scope, or a service of the same name', () => {
    const keys = [
      identityKey({ ...customer, roles: [...customer.roles], scopes: [...customer.scopes] }),
      identityKey({ ...customer, userId: 'u-2', roles: ['CUSTOMER'], scopes: ['shop'] }),
      identityKey({ ...customer, roles: ['CUSTOMER', 'ADMIN'], scopes: ['shop'] }),
      identityKey({ ...customer, roles: ['CUSTOMER'], scopes: ['shop', 'orders:read'] }),
      identityKey({ kind: 'service', clientId: 'u-1', roles: [], scopes: ['shop'] }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('the same variables in any key order, but not other values, documents or operation names', () => {
    const who = identityKey({ ...customer, roles: ['CUSTOMER'], scopes: ['shop'] });
    const query = 'subscription T($a: ID!, $b: ID) { tracked(orderId: $a) { seq } }';
    const key = groupKey(who, query, 'T', { a: 'o-1', b: { x: 1, y: 2 } });
    expect(groupKey(who, query, 'T', { b: { y: 2, x: 1 }, a: 'o-1' })).toBe(key);
    expect(groupKey(who, query, 'T', { a: 'o-2', b: { x: 1, y: 2 } })).not.toBe(key);
    expect(groupKey(who, `${query} `, 'T', { a: 'o-1', b: { x: 1, y: 2 } })).not.toBe(key);
    expect(groupKey(who, query, undefined, { a: 'o-1', b: { x: 1, y: 2 } })).not.toBe(key);
  });
});
