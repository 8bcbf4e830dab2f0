import DataLoader from 'dataloader';
import type { BaseContext } from '@shop/subgraph-kit';
import type { AddressRecord, UserRecord, UserStore } from './store/user';

export interface Loaders {
  /** Batches every user look-up of one request (entity references included) into one query. */
  user: DataLoader<string, UserRecord | null>;
  addresses: DataLoader<string, AddressRecord[]>;
}

export interface Context extends BaseContext {
  loaders: Loaders;
  /**
   * Set by register / login / refreshToken once the caller has proved who they are in
   * this very request, so the returned `AuthPayload.user` shows them their own details.
   */
  authenticatedUserId?: string;
}

export function createLoaders(users: UserStore): Loaders {
  return {
    user: new DataLoader(async (ids) => {
      const rows = await users.findByIds(ids);
      const byId = new Map(rows.map((u) => [u.id, u]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    addresses: new DataLoader(async (userIds) => {
      const rows = await users.addressesOf(userIds);
      return userIds.map((id) => rows.filter((a) => a.userId === id));
    }),
  };
}
