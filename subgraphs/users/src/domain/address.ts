import { BadUserInputError } from '@shop/errors';
import { checkDisplayText } from '@shop/subgraph-kit';

export interface AddressInput {
  line1: string;
  line2?: string | null;
  city: string;
  postalCode: string;
  country: string;
}

export const MAX_ADDRESSES_PER_USER = 20;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

/** True for an assigned ISO 3166-1 alpha-2 code; Intl echoes unknown codes back unchanged. */
function isCountryCode(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && regionNames.of(code) !== code;
}

/**
 * Address lines end up on parcel labels and in couriers' apps: control characters (a CR/LF
 * forging a second line) and direction overrides (text shown in another order than stored)
 * are refused as typed, one line per field.
 */
function required(value: string, field: string, label: string, max: number): string {
  const trimmed = checkDisplayText(value, field).trim();
  if (!trimmed) throw new BadUserInputError(`${label} is required.`, field);
  if (trimmed.length > max)
    throw new BadUserInputError(`${label} must be at most ${max} characters.`, field);
  return trimmed;
}

export function normaliseAddress(input: AddressInput): Required<AddressInput> {
  const country = input.country.trim().toUpperCase();
  if (!isCountryCode(country)) {
    throw new BadUserInputError(
      'Country must be an ISO 3166-1 alpha-2 code, e.g. DE or US.',
      'country',
    );
  }
  const line2 = (input.line2 && checkDisplayText(input.line2, 'line2').trim()) || null;
  if (line2 && line2.length > 200)
    throw new BadUserInputError('Address line 2 must be at most 200 characters.', 'line2');
  return {
    line1: required(input.line1, 'line1', 'Address line 1', 200),
    line2,
    city: required(input.city, 'city', 'City', 100),
    postalCode: required(input.postalCode, 'postalCode', 'Postal code', 20),
    country,
  };
}
