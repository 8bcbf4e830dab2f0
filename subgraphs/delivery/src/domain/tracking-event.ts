import { BadUserInputError } from '@shop/errors';
import { checkDisplayText } from '@shop/subgraph-kit';
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

/** Trims a free-text field; blank is null; too long is BAD_USER_INPUT naming the field. */
function text(
  value: string | null | undefined,
  field: string,
  max: number,
  multiline: boolean,
): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if ([...trimmed].length > max) {
    throw new BadUserInputError(`"${field}" must be at most ${max} characters.`, field);
  }
  // Shown in the customer's tracking page, e-mails and SMS: no control characters (a
  // location is one line; a note may break lines) and no text-direction overrides.
  return checkDisplayText(trimmed, field, { multiline });
}

/**
 * Checks a reported event: a status couriers and carriers may report (LABEL_CREATED comes
 * with the label only), location (one line) and note (lines and tabs allowed) within their
 * limits and free of characters that would corrupt what the customer sees. `fields` is how
 * errors name them: `input.` for recordTrackingEvent's argument.
 */
export function reportedEvent(
  input: {
    status: DeliveryStatus;
    location?: string | null;
    note?: string | null;
    at: Date;
  },
  { fields = '' }: { fields?: string } = {},
): ReportedEvent {
  if (!REPORTABLE_STATUSES.includes(input.status)) {
    throw new BadUserInputError(
      `${input.status} cannot be reported; delivery sets it (with the label, or as the ` +
        `order is cancelled). ` +
        `Report one of ${REPORTABLE_STATUSES.join(', ')}.`,
      `${fields}status`,
    );
  }
  return {
    status: input.status,
    location: text(input.location, `${fields}location`, MAX_LOCATION_LENGTH, false),
    note: text(input.note, `${fields}note`, MAX_NOTE_LENGTH, true),
    at: input.at,
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const LINE_BREAKS = /\r\n?|[\n\u2028\u2029]/g;

/**
 * The carrier's free text made storable and displayable instead of refused: a NUL, a lone
 * surrogate, a control character or a text-direction override in a hub name must not cost
 * the customer the status change it comes with (the carrier cannot fix its text, and a
 * refused event would never be re-sent). Lone surrogates become U+FFFD, other such
 * characters are dropped, and line breaks become spaces in one-line text (a location).
 */
export function cleanCarrierText(
  value: string | null | undefined,
  { multiline }: { multiline: boolean },
): string | null | undefined {
  if (value === null || value === undefined) return value;
  const kept = value.replace(LONE_SURROGATE, '\uFFFD').replace(INVISIBLE, '');
  return multiline
    ? kept.replace(LINE_BREAKS, '\n')
    : kept.replace(LINE_BREAKS, ' ').replace(/\t/g, ' ');
}
