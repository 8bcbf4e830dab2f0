import { requireUser } from '@shop/auth';
import type { ChannelChoice as ChannelChoiceResult, Resolvers } from '../generated/graphql';
import {
  applyPreferencesUpdate,
  EMAIL_REQUIRED,
  PREFERENCE_KINDS,
  type Preferences,
} from '../domain/preferences';
import type { PreferencesStore } from '../store/preferences';

function present(prefs: Preferences) {
  return Object.fromEntries(
    PREFERENCE_KINDS.map((kind): [string, ChannelChoiceResult] => [
      kind,
      { ...prefs[kind], emailRequired: EMAIL_REQUIRED.has(kind) },
    ]),
  ) as Record<keyof Preferences, ChannelChoiceResult>;
}

export function preferencesResolvers(preferences: PreferencesStore): Resolvers {
  return {
    Query: {
      myNotificationPreferences: async (_parent, _args, ctx) => {
        const me = requireUser(ctx.identity);
        return present(await preferences.get(me.userId));
      },
    },
    Mutation: {
      updateNotificationPreferences: async (_parent, { input }, ctx) => {
        const me = requireUser(ctx.identity);
        // Validated as a whole before the single write: a refused change changes nothing.
        const next = applyPreferencesUpdate(await preferences.get(me.userId), input);
        await preferences.save(me.userId, next);
        ctx.log.info({ userId: me.userId }, 'notification preferences changed');
        return present(next);
      },
    },
  };
}
