import { CART_ID_HEADER } from '@shop/auth';
import { BadUserInputError, NotFoundError, OutOfStockError } from '@shop/errors';
import { MAX_TOTAL_AMOUNT, type Money } from '@shop/money';

/** The most units of one product a cart line may hold. */
export const MAX_QUANTITY = 99;

/** What the cart stores per line: a product id and a quantity, never a price. */
export interface CartEntry {
  productId: string;
  quantity: number;
}

/** A product as the catalog (products subgraph) shows it right now. */
export interface CatalogProduct {
  id: string;
  name: string;
  price: Money;
  stock: number;
}

/** A product seen from the cart: only the key; the router resolves the rest from products. */
export interface ProductReference {
  __typename: 'Product';
  id: string;
}

/** A priced cart line (GraphQL `CartItem`). */
export interface CartLine {
  productId: string;
  productName: string;
  quantity: number;
  unitPrice: Money;
  /**
   * unitPrice × quantity; null when that is above MAX_TOTAL_AMOUNT, which only a price
   * rise after the line was added can cause (the field then answers an error).
   */
  lineTotal: Money | null;
}

/** A priced cart (GraphQL `Cart`). */
export interface CartView {
  id: string;
  items: CartLine[];
  itemCount: number;
  /** The sum of the line totals; null when above MAX_TOTAL_AMOUNT (see `totalAmount`). */
  subtotal: Money | null;
  /** The sum in minor units, even above MAX_TOTAL_AMOUNT: what an error about it quotes. */
  totalAmount: number;
  currency: string;
}

/**
 * The quantity asked for in addToCart (1..99) or updateCartItem (0..99, 0 removes).
 * GraphQL's Int already guarantees a whole number; the range is ours.
 */
export function validateQuantity(quantity: number, { allowZero = false } = {}): number {
  const min = allowZero ? 0 : 1;
  if (!Number.isInteger(quantity) || quantity < min || quantity > MAX_QUANTITY) {
    throw new BadUserInputError(
      `quantity must be a whole number from ${min} to ${MAX_QUANTITY}.`,
      'quantity',
    );
  }
  return quantity;
}

/** Products' ids are MongoDB ObjectIds: 24 hexadecimal digits, written in lower case. */
const PRODUCT_ID = /^[0-9a-f]{24}$/;

/** Whether `id` is a product id in its canonical (lower-case) spelling. */
export function isCanonicalProductId(id: string): boolean {
  return PRODUCT_ID.test(id);
}

/**
 * The product id the cart keys its line by. ObjectIds are accepted in any case but always
 * stored and looked up lower-cased, so one product is one line however a client spells it.
 * An empty, huge or blank-containing value is no id at all (BAD_USER_INPUT on `productId`);
 * anything else that is not 24 hex digits cannot name a product (NOT_FOUND, as for an
 * unknown product), and is never sent to the products subgraph.
 */
export function validateProductId(productId: string): string {
  if (productId.length === 0 || productId.length > 128 || /\s/.test(productId)) {
    throw new BadUserInputError('productId is not a product id.', 'productId');
  }
  const id = productId.toLowerCase();
  if (!isCanonicalProductId(id)) throw new NotFoundError('Product', productId);
  return id;
}

/** The default of CART_MAX_LINES: how many different products one cart may hold. */
export const DEFAULT_MAX_LINES = 100;

/** A new line would take the cart beyond `maxLines` different products (BAD_USER_INPUT). */
export function tooManyLines(maxLines: number): BadUserInputError {
  return new BadUserInputError(
    `A cart holds at most ${maxLines} different products; remove one before adding another.`,
    'productId',
  );
}

/** How many units of the product a line may hold at most: its stock, and never above 99. */
export function quantityLimit(product: CatalogProduct): number {
  return Math.max(0, Math.min(product.stock, MAX_QUANTITY));
}

/**
 * The rule for the quantity a line ends up with after addToCart or updateCartItem: at
 * most 99 (BAD_USER_INPUT on `quantity`), at most the stock (OUT_OF_STOCK, saying how
 * many are available).
 */
export function assertLineQuantity(resulting: number, product: CatalogProduct, inCart = 0): void {
  if (resulting > MAX_QUANTITY) {
    throw new BadUserInputError(
      inCart > 0
        ? `A cart holds at most ${MAX_QUANTITY} of one product; yours already has ${inCart} of "${product.name}".`
        : `A cart holds at most ${MAX_QUANTITY} of one product.`,
      'quantity',
    );
  }
  if (resulting > product.stock) {
    throw new OutOfStockError(product.name, Math.max(0, product.stock), {
      productId: product.id,
      inCart,
    });
  }
}

/** addToCart: the line's new quantity, validated as a whole. */
export function addedQuantity(current: number, added: number, product: CatalogProduct): number {
  validateQuantity(added);
  const resulting = current + added;
  assertLineQuantity(resulting, product, current);
  return resulting;
}

/**
 * Merging a guest cart into the user's on sign-in: quantities are added, capped by the
 * stock and by 99. The cap never takes away what the user's own cart already held (stock
 * may have dropped since they added it); checkout is where stock is finally enforced.
 */
export function mergedQuantity(userQuantity: number, guestQuantity: number, limit: number): number {
  return Math.max(userQuantity, Math.min(userQuantity + guestQuantity, limit));
}

export type MergeSkipReason = 'vanished' | 'currency' | 'no-stock-left' | 'too-many-lines';

export interface MergePlan {
  /** The user cart's new quantities for the lines that change (guest order). */
  set: CartEntry[];
  /** Guest lines that were not (fully) taken over, and why. */
  skipped: { productId: string; reason: MergeSkipReason }[];
}

/**
 * What merging `guest` into `user` changes in the user's cart. Guest lines whose product
 * left the catalog, or that are priced in another currency than the user's cart, are left
 * out: a cart holds one currency. An empty user cart takes the guest cart's currency. New
 * lines beyond `maxLines` different products are left out too.
 */
export function planMerge(
  user: readonly CartEntry[],
  guest: readonly CartEntry[],
  products: ReadonlyMap<string, CatalogProduct | null>,
  maxLines = Number.POSITIVE_INFINITY,
): MergePlan {
  const userQuantities = new Map(user.map((e) => [e.productId, e.quantity]));
  const currencyOf = (entries: readonly CartEntry[]) =>
    entries.map((e) => products.get(e.productId)?.price.currency).find(Boolean);
  const currency = currencyOf(user) ?? currencyOf(guest);
  const plan: MergePlan = { set: [], skipped: [] };
  let lines = userQuantities.size;
  for (const { productId, quantity } of guest) {
    const product = products.get(productId);
    if (!product) {
      plan.skipped.push({ productId, reason: 'vanished' });
    } else if (product.price.currency !== currency) {
      plan.skipped.push({ productId, reason: 'currency' });
    } else if (!userQuantities.has(productId) && lines >= maxLines) {
      plan.skipped.push({ productId, reason: 'too-many-lines' });
    } else {
      const current = userQuantities.get(productId) ?? 0;
      const merged = mergedQuantity(current, quantity, quantityLimit(product));
      if (merged > current) plan.set.push({ productId, quantity: merged });
      if (current === 0 && merged > 0) lines++;
      if (merged < current + quantity) plan.skipped.push({ productId, reason: 'no-stock-left' });
    }
  }
  return plan;
}

/**
 * Prices the stored lines with current catalog data. Lines whose product is gone from the
 * catalog (deleted or deactivated since it was added) come back in `vanished` instead of
 * failing the whole cart; the caller drops them from storage too.
 */
export function priceCart(
  id: string,
  entries: readonly CartEntry[],
  products: ReadonlyMap<string, CatalogProduct | null>,
  defaultCurrency: string,
): { view: CartView; vanished: string[] } {
  const items: CartLine[] = [];
  const vanished: string[] = [];
  for (const { productId, quantity } of entries) {
    const product = products.get(productId);
    if (!product) {
      vanished.push(productId);
      continue;
    }
    const amount = product.price.amount * quantity;
    items.push({
      productId,
      productName: product.name,
      quantity,
      unitPrice: product.price,
      lineTotal: withinTotalLimit(amount) ? { amount, currency: product.price.currency } : null,
    });
  }
  const currency = items[0]?.unitPrice.currency ?? defaultCurrency;
  // Only a catalog change (or two first adds racing) can mix currencies; say which line
  // to remove rather than showing a total that adds euros to dollars.
  const stray = items.find((line) => line.unitPrice.currency !== currency);
  if (stray) {
    throw new BadUserInputError(
      `"${stray.productName}" is now priced in ${stray.unitPrice.currency} while the rest of the cart is in ${currency}: remove it from the cart.`,
      'productId',
    );
  }
  // Adds and updates never take a cart above the limit, but prices may rise afterwards.
  // Such a cart is still shown line by line; only the totals it cannot hold are errors
  // (see `totalAboveLimit`), so the shopper can lower a quantity.
  const totalAmount = items.reduce(
    (total, line) => total + line.unitPrice.amount * line.quantity,
    0,
  );
  const view: CartView = {
    id,
    items,
    itemCount: items.reduce((n, line) => n + line.quantity, 0),
    subtotal: withinTotalLimit(totalAmount) ? { amount: totalAmount, currency } : null,
    totalAmount,
    currency,
  };
  return { view, vanished };
}

/** A cart holds one currency: a product priced in another one is refused (BAD_USER_INPUT). */
export function assertCurrencyFits(cart: CartView, product: CatalogProduct): void {
  if (cart.items.length > 0 && product.price.currency !== cart.currency) {
    throw new BadUserInputError(
      `"${product.name}" is priced in ${product.price.currency}, but your cart is in ${cart.currency}. A cart holds one currency.`,
      'productId',
    );
  }
}

function withinTotalLimit(amount: number): boolean {
  return Number.isSafeInteger(amount) && amount <= MAX_TOTAL_AMOUNT;
}

/**
 * What the stored lines cost at current catalog prices, in minor units, without any limit
 * (lines whose product vanished count nothing). The limit checks compare two of these.
 */
export function cartAmount(
  entries: readonly CartEntry[],
  products: ReadonlyMap<string, CatalogProduct | null>,
): number {
  let total = 0;
  for (const { productId, quantity } of entries) {
    total += (products.get(productId)?.price.amount ?? 0) * quantity;
  }
  return total;
}

/**
 * The total limit for a change of the cart's lines (addToCart, updateCartItem, merge):
 * a change that takes the total above MAX_TOTAL_AMOUNT is refused (BAD_USER_INPUT on
 * `quantity`). A change that lowers the total is always allowed, even when the cart is
 * still above the limit because prices rose: that is how the shopper gets below it again.
 */
export function assertTotalFits(
  before: number,
  after: number,
  currency: string,
  refusal: (after: number, currency: string) => BadUserInputError = totalTooLarge,
): void {
  if (after > before && !withinTotalLimit(after)) throw refusal(after, currency);
}

function amountIn(amount: number, currency: string): string {
  return `${amount} (minor units of ${currency})`;
}

const LIMIT = `the ${MAX_TOTAL_AMOUNT} one cart can hold`;

/** addToCart / updateCartItem would take the total above MAX_TOTAL_AMOUNT. */
export function totalTooLarge(after: number, currency: string): BadUserInputError {
  return new BadUserInputError(
    `This would take the cart's total to ${amountIn(after, currency)}, above ${LIMIT}. ` +
      'Lower the quantity, or check out what is in the cart first. The cart is unchanged.',
    'quantity',
  );
}

/** The sign-in merge would take the user cart's total above MAX_TOTAL_AMOUNT. */
export function mergedTotalTooLarge(after: number, currency: string): BadUserInputError {
  return new BadUserInputError(
    `Your guest cart cannot be added to your cart: together they would total ${amountIn(after, currency)}, above ${LIMIT}. ` +
      `Both carts are unchanged. Lower quantities in either cart, or stop sending ${CART_ID_HEADER} to keep only your own cart.`,
    'quantity',
  );
}

/**
 * A stored cart (or line) whose total is above MAX_TOTAL_AMOUNT because prices rose after
 * it was filled: the field error of `Cart.subtotal` / `CartItem.lineTotal`.
 */
export function totalAboveLimit(
  amount: number,
  currency: string,
  of: 'cart' | 'line',
): BadUserInputError {
  return new BadUserInputError(
    `${of === 'cart' ? "The cart's total" : "This line's total"} is ${amountIn(amount, currency)}, above ${LIMIT}, ` +
      `because prices rose since it was filled. Lower ${of === 'cart' ? 'a quantity or remove a line' : 'its quantity'} to check out.`,
    'quantity',
  );
}
