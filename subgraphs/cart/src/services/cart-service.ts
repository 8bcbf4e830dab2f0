import { ConflictError, ForbiddenError, NotFoundError } from '@shop/errors';
import type DataLoader from 'dataloader';
import type { Identity } from '@shop/auth';
import type { Logger } from '@shop/logging';
import { CartFullError, EMPTY_CART, type CartStore, type StoredCart } from '../store/cart';
import {
  addedQuantity,
  assertCurrencyFits,
  assertLineQuantity,
  assertTotalFits,
  cartAmount,
  DEFAULT_MAX_LINES,
  isCanonicalProductId,
  mergedTotalTooLarge,
  planMerge,
  priceCart,
  tooManyLines,
  validateProductId,
  validateQuantity,
  type CartEntry,
  type CartView,
  type CatalogProduct,
} from '../domain/cart';
import { newGuestCartId, parseCartIdHeader, userCartId } from '../domain/cart-id';

/** The cart one request works on. */
export interface CartRef {
  /** `Cart.id` as the client sees it. */
  id: string;
  /** Its Redis key. */
  key: string;
  owner: 'guest' | 'user';
  /**
   * A guest cart this request just chose an id for, not stored yet. It is stored when
   * the request succeeds (its first line, or its first view), so a mutation that is
   * refused leaves nothing behind — not even an empty cart.
   */
  unsaved?: boolean;
}

/**
 * Compare-and-set rounds before giving up. Each round lets at least one writer through,
 * so this bounds how many requests may change one cart line at the very same moment.
 */
const MAX_WRITE_ATTEMPTS = 50;

const tooBusy = () =>
  new ConflictError('The cart is being changed by many requests at once; try again.');

/**
 * What the cart service needs of one request — who asks, their guest cart header, the
 * request's product loader and log, and a place to keep the cart it resolves once — and no
 * more: the GraphQL Context provides it, but this layer does not depend on it.
 */
export interface CartRequest {
  identity: Identity | null;
  /** The raw `x-cart-id` request header. */
  cartIdHeader?: string;
  loaders: { product: DataLoader<string, CatalogProduct | null> };
  log: Logger;
  /** Whose cart this request works on, resolved once per request (cartOf). */
  cart?: Promise<CartRef>;
}

/**
 * The cart's use cases: which cart a request is about (guest or user, merging on sign-in),
 * pricing it from the live catalog, and changing its lines under the quantity rules.
 */
export class CartService {
  constructor(
    private readonly store: CartStore,
    private readonly defaultCurrency: string,
    /** The most different products one cart may hold (CART_MAX_LINES). */
    private readonly maxLines: number = DEFAULT_MAX_LINES,
  ) {}

  async view(ctx: CartRequest): Promise<CartView> {
    const cart = await this.cartOf(ctx);
    await this.save(cart);
    return this.price(ctx, cart, await this.read(cart));
  }

  /** The lines as stored, unpriced (checkout prices the order from the catalog itself). */
  async storedLines(ctx: CartRequest): Promise<CartEntry[]> {
    const cart = await this.cartOf(ctx);
    return [...(await this.read(cart)).entries];
  }

  async add(ctx: CartRequest, rawProductId: string, quantity: number): Promise<CartView> {
    const productId = validateProductId(rawProductId);
    validateQuantity(quantity);
    const cart = await this.cartOf(ctx);
    await this.changeLine(ctx, cart, productId, ({ current, product, stored, products }) => {
      const { view } = priceCart(cart.id, stored.entries, products, this.defaultCurrency);
      assertCurrencyFits(view, product);
      return addedQuantity(current, quantity, product);
    });
    return this.view(ctx);
  }

  async update(ctx: CartRequest, rawProductId: string, quantity: number): Promise<CartView> {
    const productId = validateProductId(rawProductId);
    validateQuantity(quantity, { allowZero: true });
    if (quantity === 0) return this.remove(ctx, productId);
    const cart = await this.cartOf(ctx);
    await this.changeLine(
      ctx,
      cart,
      productId,
      ({ current, product }) => {
        assertLineQuantity(quantity, product, current);
        return quantity;
      },
      { mustExist: true },
    );
    return this.view(ctx);
  }

  async remove(ctx: CartRequest, rawProductId: string): Promise<CartView> {
    const productId = validateProductId(rawProductId);
    const cart = await this.cartOf(ctx);
    await this.store.remove(cart.key, [productId]);
    return this.view(ctx);
  }

  async clear(ctx: CartRequest): Promise<CartView> {
    const cart = await this.cartOf(ctx);
    await this.store.clear(cart.key);
    return this.view(ctx);
  }

  /** Whose cart: resolved once per request, however many cart fields the operation has. */
  private cartOf(ctx: CartRequest): Promise<CartRef> {
    ctx.cart ??= this.resolveCart(ctx);
    return ctx.cart;
  }

  private async resolveCart(ctx: CartRequest): Promise<CartRef> {
    const guestId = parseCartIdHeader(ctx.cartIdHeader);
    const { identity } = ctx;
    if (identity?.kind === 'service') {
      throw new ForbiddenError('Carts belong to shoppers; a service token has none.');
    }
    if (identity) {
      const cart: CartRef = {
        id: userCartId(identity.userId),
        key: this.store.userKey(identity.userId),
        owner: 'user',
      };
      if (guestId) await this.mergeGuestCart(ctx, cart, guestId);
      return cart;
    }
    // A guest id is only ever looked up among guest carts, and an unknown or expired one
    // gets a brand-new cart: no header can lead to somebody else's cart.
    if (guestId && (await this.store.touch(this.store.guestKey(guestId)))) {
      return { id: guestId, key: this.store.guestKey(guestId), owner: 'guest' };
    }
    const id = newGuestCartId();
    return { id, key: this.store.guestKey(id), owner: 'guest', unsaved: true };
  }

  /**
   * Stores a new guest cart once the request has succeeded far enough to show it, so the
   * id the client receives keeps working when sent back. A line written meanwhile has
   * created the cart already, and `create` must not reset it.
   */
  private async save(cart: CartRef): Promise<void> {
    if (!cart.unsaved) return;
    cart.unsaved = false;
    if (!(await this.store.touch(cart.key))) await this.store.create(cart.key);
  }

  /**
   * Sign-in merge: the first cart request of a signed-in user that still carries the
   * guest's `x-cart-id` moves the guest cart's lines into the user's cart and deletes the
   * guest cart, in one atomic step (CartStore.merge). Later requests with the same header
   * find no guest cart, so the merge happens once even when requests race.
   */
  private async mergeGuestCart(ctx: CartRequest, cart: CartRef, guestId: string): Promise<void> {
    const guestKey = this.store.guestKey(guestId);
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const guest = await this.store.read(guestKey);
      if (!guest) return; // unknown, expired, or merged already
      const user = await this.read(cart);
      const products = await this.products(ctx, [...ids(user), ...ids(guest)]);
      const plan = planMerge(user.entries, guest.entries, products, this.maxLines);
      // Checked against the versions the merge script compares, so it holds for what is
      // written. Refused as a whole: half a guest cart merged would be a surprise, and
      // the guest cart stays as it was for the shopper to trim.
      assertTotalFits(
        cartAmount(user.entries, products),
        cartAmount(withLines(user.entries, plan.set), products),
        plan.set.map((e) => products.get(e.productId)?.price.currency).find(Boolean) ??
          this.defaultCurrency,
        mergedTotalTooLarge,
      );
      const outcome = await this.store.merge(
        cart.key,
        guestKey,
        { user: user.version, guest: guest.version },
        plan.set,
      );
      if (outcome === 'merged') {
        ctx.log.info({ lines: plan.set.length, skipped: plan.skipped }, 'guest cart merged');
      }
      if (outcome !== 'changed') return;
    }
    throw tooBusy();
  }

  /**
   * Sets one line: `next` computes the new quantity from the cart as read (and throws when
   * a rule is broken), the cart's total limit is checked against the same read, and the
   * line is written only if the cart is still at the version read (compare-and-set on the
   * whole cart). If any request changed the cart in the meantime, it is read again and the
   * rules applied again. So concurrent adds never lose an update, and the per-line limits
   * (stock, 99, lines per cart) and the total limit hold for what is actually written: two
   * adds that each fit but together exceed the limit cannot both land.
   */
  private async changeLine(
    ctx: CartRequest,
    cart: CartRef,
    productId: string,
    next: (read: {
      current: number;
      product: CatalogProduct;
      stored: StoredCart;
      products: ReadonlyMap<string, CatalogProduct | null>;
    }) => number,
    { mustExist = false } = {},
  ): Promise<void> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const stored = await this.read(cart);
      const current = quantityOf(stored, productId);
      if (mustExist && current === 0) {
        throw new NotFoundError('Cart item for product', productId);
      }
      if (current === 0 && stored.entries.length >= this.maxLines) {
        throw tooManyLines(this.maxLines);
      }
      // The product joins the cart's own look-up: still one call to products (a retry
      // after a concurrent change looks up only products it has not seen yet).
      const products = await this.products(ctx, [...ids(stored), productId]);
      const product = products.get(productId);
      if (!product) throw new NotFoundError('Product', productId);
      const quantity = next({ current, product, stored, products });
      const before = cartAmount(stored.entries, products);
      assertTotalFits(
        before,
        before + (quantity - current) * product.price.amount,
        product.price.currency,
      );
      try {
        const written = await this.store.setQuantity(
          cart.key,
          productId,
          current,
          quantity,
          this.maxLines,
          stored.version,
        );
        if (written) return;
      } catch (error) {
        // Other products were added meanwhile and filled the cart (checked atomically).
        if (error instanceof CartFullError) throw tooManyLines(this.maxLines);
        throw error;
      }
    }
    throw tooBusy();
  }

  private async read(cart: CartRef): Promise<StoredCart> {
    return (await this.store.read(cart.key)) ?? EMPTY_CART;
  }

  /**
   * Catalog data for the ids, through the request's DataLoader (one batched call). Only
   * canonical ids are looked up: a line stored under another spelling (possible only
   * before ids were canonicalised) counts as vanished and is dropped like one.
   */
  private async products(
    ctx: CartRequest,
    productIds: string[],
  ): Promise<Map<string, CatalogProduct | null>> {
    const unique = [...new Set(productIds)];
    const canonical = unique.filter(isCanonicalProductId);
    const loaded = await ctx.loaders.product.loadMany(canonical);
    const found = new Map<string, CatalogProduct | null>(unique.map((id) => [id, null]));
    canonical.forEach((id, i) => {
      const product = loaded[i];
      if (product instanceof Error) throw product;
      found.set(id, product ?? null);
    });
    return found;
  }

  /**
   * Prices the stored cart. Products that have vanished from the catalog since they were
   * added (deleted, deactivated) are dropped from the view and from storage rather than
   * failing the whole cart: the shopper could not buy them anyway, and one stale line must
   * not lock them out of their cart.
   */
  private async price(ctx: CartRequest, cart: CartRef, stored: StoredCart): Promise<CartView> {
    const products = await this.products(ctx, ids(stored));
    const { view, vanished } = priceCart(cart.id, stored.entries, products, this.defaultCurrency);
    if (vanished.length > 0) {
      await this.store.remove(cart.key, vanished);
      ctx.log.info({ cartOwner: cart.owner, vanished }, 'dropped vanished products from cart');
    }
    return view;
  }
}

function ids(cart: StoredCart): string[] {
  return cart.entries.map((e) => e.productId);
}

function quantityOf(cart: StoredCart, productId: string): number {
  return cart.entries.find((e) => e.productId === productId)?.quantity ?? 0;
}

/** `entries` with the quantities of `set` applied (new products appended). */
function withLines(entries: readonly CartEntry[], set: readonly CartEntry[]): CartEntry[] {
  const quantities = new Map(entries.map((e) => [e.productId, e.quantity]));
  for (const { productId, quantity } of set) quantities.set(productId, quantity);
  return [...quantities].map(([productId, quantity]) => ({ productId, quantity }));
}
