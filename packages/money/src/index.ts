import { BadUserInputError } from '@shop/errors';

/** Money as the API shows it: integer minor units (cents) and an ISO 4217 code. Never a float. */
export interface Money {
  amount: number;
  currency: string;
}

/**
 * The highest unit price a product may have: 1,000,000.00 in a two-decimal currency.
 * With MAX_TOTAL_AMOUNT it keeps every amount the shop computes inside a 32-bit integer,
 * which is what GraphQL's Int and the orders database's integer columns hold.
 */
export const MAX_UNIT_PRICE = 100_000_000;

/**
 * The highest total one cart or order may reach: 20,000,000.00 in a two-decimal currency,
 * below 2^31 - 1 (2,147,483,647) so it always fits GraphQL's Int end to end.
 */
export const MAX_TOTAL_AMOUNT = 2_000_000_000;

const currencies = new Set(Intl.supportedValuesOf('currency'));

/** True for an ISO 4217 code the runtime knows, upper case (EUR, USD, JPY, ...). */
export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencies.has(code);
}

/**
 * Validates money entered by a person or a client: a known currency and a positive
 * integer amount of minor units. `field` names the input for the error.
 */
export function parseMoney(input: { amount: number; currency: string }, field = 'price'): Money {
  const currency = input.currency.trim().toUpperCase();
  if (!isCurrency(currency)) {
    throw new BadUserInputError(
      `${field}.currency must be an ISO 4217 code such as EUR or USD.`,
      `${field}.currency`,
    );
  }
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) {
    throw new BadUserInputError(
      `${field}.amount must be a positive whole number of minor units (cents), e.g. 1999 for 19.99.`,
      `${field}.amount`,
    );
  }
  if (input.amount > MAX_UNIT_PRICE) {
    throw new BadUserInputError(
      `${field}.amount must be at most ${MAX_UNIT_PRICE} minor units.`,
      `${field}.amount`,
    );
  }
  return { amount: input.amount, currency };
}

export function money(amount: number, currency: string): Money {
  return { amount, currency };
}

/** unit × quantity; TotalTooLargeError beyond MAX_TOTAL_AMOUNT. */
export function multiply(unit: Money, quantity: number): Money {
  const amount = unit.amount * quantity;
  if (!Number.isSafeInteger(amount) || amount > MAX_TOTAL_AMOUNT) throw new TotalTooLargeError();
  return { amount, currency: unit.currency };
}

/** Sum of amounts in one currency; throws MixedCurrenciesError when they differ. */
export function sum(amounts: Money[], currency: string): Money {
  let total = 0;
  for (const m of amounts) {
    if (m.currency !== currency) throw new MixedCurrenciesError(currency, m.currency);
    total += m.amount;
  }
  if (!Number.isSafeInteger(total) || total > MAX_TOTAL_AMOUNT) throw new TotalTooLargeError();
  return { amount: total, currency };
}

/**
 * A cart or order total above MAX_TOTAL_AMOUNT. BAD_USER_INPUT on `quantity`: the client
 * fixes it by lowering a quantity or splitting the order.
 */
export class TotalTooLargeError extends BadUserInputError {
  constructor() {
    super(
      `The total would exceed ${MAX_TOTAL_AMOUNT} minor units, the most one cart or order ` +
        'can hold. Lower a quantity or split the order.',
      'quantity',
    );
  }
}

export class MixedCurrenciesError extends BadUserInputError {
  constructor(expected: string, got: string) {
    super(`All items must be priced in one currency: found ${got} next to ${expected}.`);
  }
}
