import { BadUserInputError } from '@shop/errors';
import { REPORTABLE_STATUSES, type DeliveryStatus } from './shipment-status';

export const MAX_LOCATION_LENGTH = 200;
export const MAX_NOTE_LENGTH = 500;

/** A tracking event as a courier or the carrier reports it, checked and normalised. */
export interface ReportedEvent {
  status: DeliveryStatus;
  location: string | null;
  note: string | null;
  at: Date;
}

/** C0 controls and DEL, except tab, line feed and carriage return. */
function isControl(char: string): boolean {
  const code = char.codePointAt(0)!;
  return (code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r') || code === 0x7f;
}

/** Trims a free-text field; blank is null; too long is BAD_USER_INPUT naming the field. */
function text(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if ([...trimmed].length > max) {
    throw new BadUserInputError(`"${field}" must be at most ${max} characters.`, field);
  }
  // Control characters would end up in e-mails and SMS texts; line breaks are fine in a note.
  if ([...trimmed].some(isControl)) {
    throw new BadUserInputError(`"${field}" must not contain control characters.`, field);
  }
  return trimmed;
}

/**
 * Checks a reported event: a status couriers and carriers may report (LABEL_CREATED comes
 * with the label only), location and note within their limits.
 */
export function reportedEvent(input: {
  status: DeliveryStatus;
  location?: string | null;
  note?: string | null;
  at: Date;
}): ReportedEvent {
  if (!REPORTABLE_STATUSES.includes(input.status)) {
    throw new BadUserInputError(
      `${input.status} cannot be reported; it is set by the shipment's label. ` +
        `Report one of ${REPORTABLE_STATUSES.join(', ')}.`,
      'status',
    );
  }
  return {
    status: input.status,
    location: text(input.location, 'location', MAX_LOCATION_LENGTH),
    note: text(input.note, 'note', MAX_NOTE_LENGTH),
    at: input.at,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Shipment and order ids are UUIDs; anything else cannot exist, and is kept out of SQL. */
export const isUuid = (id: string): boolean => UUID.test(id);
