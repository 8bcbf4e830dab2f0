import { BadUserInputError } from '@shop/errors';

/** Money as the API shows it: integer minor units (cents) and an ISO 4217 code. Never a float. */
export interface Money {
  amount: number;
  currency: string;
}

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
  return { amount: input.amount, currency };
}

export function money(amount: number, currency: string): Money {
  return { amount, currency };
}

/** unit × quantity, refusing results beyond what an integer can hold exactly. */
export function multiply(unit: Money, quantity: number): Money {
  const amount = unit.amount * quantity;
  if (!Number.isSafeInteger(amount)) throw new RangeError('amount out of range');
  return { amount, currency: unit.currency };
}

/** Sum of amounts in one currency; throws MixedCurrenciesError when they differ. */
export function sum(amounts: Money[], currency: string): Money {
  let total = 0;
  for (const m of amounts) {
    if (m.currency !== currency) throw new MixedCurrenciesError(currency, m.currency);
    total += m.amount;
  }
  if (!Number.isSafeInteger(total)) throw new RangeError('amount out of range');
  return { amount: total, currency };
}

export class MixedCurrenciesError extends BadUserInputError {
  constructor(expected: string, got: string) {
    super(`All items must be priced in one currency: found ${got} next to ${expected}.`);
  }
}
