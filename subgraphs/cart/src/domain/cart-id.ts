import { createHash, randomBytes } from 'node:crypto';
import { CART_ID_HEADER } from '@shop/auth';
import { BadUserInputError } from '@shop/errors';

const ID_BYTES = 16;
const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * A new guest cart id: 128 random bits, base64url (22 characters). Unguessable, so
 * holding the id is what proves a guest owns the cart.
 */
export function newGuestCartId(): string {
  return randomBytes(ID_BYTES).toString('base64url');
}

/**
 * The id of a signed-in user's cart: stable for the user, in the same format as a guest
 * id, and useless to anyone else — guest ids are only ever looked up among guest carts,
 * so presenting it in `x-cart-id` can never open the user's cart.
 */
export function userCartId(userId: string): string {
  return createHash('sha256')
    .update(`shop-cart:user:${userId}`)
    .digest()
    .subarray(0, ID_BYTES)
    .toString('base64url');
}

/**
 * Reads the `x-cart-id` header: undefined when absent, the id when well formed, and
 * BAD_USER_INPUT for anything that cannot be an id this service issued.
 */
export function parseCartIdHeader(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const id = value.trim();
  // Only the canonical encoding of exactly 16 bytes is accepted, so one cart has one id.
  if (!ID_PATTERN.test(id) || Buffer.from(id, 'base64url').toString('base64url') !== id) {
    throw new BadUserInputError(
      `The ${CART_ID_HEADER} header must be a cart id returned by the API (Cart.id).`,
      CART_ID_HEADER,
    );
  }
  return id;
}
