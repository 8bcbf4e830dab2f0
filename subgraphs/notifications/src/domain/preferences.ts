import { BadUserInputError } from '@shop/errors';

/** The kinds of message a customer can choose channels for (the welcome e-mail is not one). */
export const PREFERENCE_KINDS = [
  'orderConfirmation',
  'orderCancelled',
  'orderRefunded',
  'shipping',
] as const;
export type PreferenceKind = (typeof PREFERENCE_KINDS)[number];

export interface ChannelChoice {
  email: boolean;
  sms: boolean;
}

export type Preferences = Record<PreferenceKind, ChannelChoice>;

/**
 * Transactional e-mails: the customer's record of a payment, a cancellation or a refund.
 * They are always sent, whatever the preferences say.
 */
export const EMAIL_REQUIRED: ReadonlySet<PreferenceKind> = new Set([
  'orderConfirmation',
  'orderCancelled',
  'orderRefunded',
]);

/** Every e-mail on, every SMS off until the customer opts in (SMS costs them attention). */
export function defaultPreferences(): Preferences {
  return Object.fromEntries(
    PREFERENCE_KINDS.map((kind) => [kind, { email: true, sms: false }]),
  ) as Preferences;
}

/** Stored choices over the defaults; transactional e-mails are on whatever was stored. */
export function effectivePreferences(stored: Partial<Preferences> | null): Preferences {
  const prefs = defaultPreferences();
  for (const kind of PREFERENCE_KINDS) {
    const choice = stored?.[kind];
    if (choice) prefs[kind] = { email: choice.email, sms: choice.sms };
    if (EMAIL_REQUIRED.has(kind)) prefs[kind].email = true;
  }
  return prefs;
}

export type PreferencesUpdate = Partial<
  Record<PreferenceKind, { email?: boolean | null; sms?: boolean | null } | null>
>;

/**
 * Applies a customer's changes: only the channels given change. Switching off a
 * transactional e-mail is refused with the field named, before anything is changed.
 */
export function applyPreferencesUpdate(
  current: Preferences,
  update: PreferencesUpdate,
): Preferences {
  const next = effectivePreferences(current);
  for (const kind of PREFERENCE_KINDS) {
    const change = update[kind];
    if (!change) continue;
    if (change.email === false && EMAIL_REQUIRED.has(kind)) {
      throw new BadUserInputError(
        `The ${describe(kind)} e-mail cannot be switched off: it is your record of the order. You can still choose SMS.`,
        `input.${kind}.email`,
      );
    }
    if (typeof change.email === 'boolean') next[kind].email = change.email;
    if (typeof change.sms === 'boolean') next[kind].sms = change.sms;
  }
  return next;
}

function describe(kind: PreferenceKind): string {
  switch (kind) {
    case 'orderConfirmation':
      return 'order confirmation';
    case 'orderCancelled':
      return 'order cancellation';
    case 'orderRefunded':
      return 'refund';
    case 'shipping':
      return 'shipping update';
  }
}

export type ChannelName = 'EMAIL' | 'SMS';

/**
 * The channels a message goes out on: `kind` null is the welcome e-mail (e-mail only,
 * always). SMS needs the customer's opt-in and a phone number on the account.
 */
export function channelsFor(
  kind: PreferenceKind | null,
  prefs: Preferences,
  phone: string | null,
): ChannelName[] {
  if (kind === null) return ['EMAIL'];
  const channels: ChannelName[] = [];
  if (prefs[kind].email || EMAIL_REQUIRED.has(kind)) channels.push('EMAIL');
  if (prefs[kind].sms && phone) channels.push('SMS');
  return channels;
}
