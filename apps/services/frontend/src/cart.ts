// The cart: what the shopper picked, by product, kept in the browser's session storage (it survives a reload, not
// the closing of the tab). Quantities stay within the stock the catalogue showed and the order's per-product cap.
import { Product } from "./api";

/** order-service's cap per product and order (MAX_QUANTITY). */
export const MAX_PER_PRODUCT = 100;

export interface CartLine {
    product: Product;
    quantity: number;
}

export type Cart = Record<number, CartLine>;

export function setQuantity(cart: Cart, product: Product, quantity: number): Cart {
    const next = { ...cart };
    const capped = Math.min(quantity, product.stock, MAX_PER_PRODUCT);
    if (capped <= 0) delete next[product.id];
    else next[product.id] = { product, quantity: capped };
    return next;
}

export function lines(cart: Cart): CartLine[] {
    return Object.values(cart).sort((a, b) => a.product.name.localeCompare(b.product.name));
}

export function count(cart: Cart): number {
    return Object.values(cart).reduce((n, l) => n + l.quantity, 0);
}

export function total(cart: Cart): number {
    return Object.values(cart).reduce((sum, l) => sum + l.quantity * l.product.price_cents, 0);
}

/** The same cart means the same order: a retry after a failure reuses the order's Idempotency-Key. */
export function fingerprint(cart: Cart): string {
    return lines(cart)
        .map((l) => `${l.product.id}x${l.quantity}`)
        .sort()
        .join(",");
}
