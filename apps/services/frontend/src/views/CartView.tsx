// The cart and the checkout: one Idempotency-Key per cart content, kept with the cart in sessionStorage until the
// order is confirmed, so a retry after a failure (a timeout, a lost answer), even after leaving the cart or
// reloading the page, can never order twice.
import { useState } from "react";
import { api, ApiError, money, newIdempotencyKey, Session, Shortage } from "../api";
import { Cart, fingerprint, lines, MAX_PER_PRODUCT, setQuantity, total } from "../cart";
import type { Notice } from "../App";
import { useStored } from "../storage";

interface Props {
    cart: Cart;
    setCart: (c: Cart) => void;
    session: Session | null;
    notify: (n: Notice) => void;
    go: (route: string) => void;
    onExpired: () => void;
}

export function CartView({ cart, setCart, session, notify, go, onExpired }: Props) {
    const [placing, setPlacing] = useState(false);
    const [attempt, setAttempt] = useStored<{ cart: string; key: string } | null>("shop.order-attempt", null);
    const [shortages, setShortages] = useState<Shortage[]>([]);
    const shown = lines(cart);

    const place = async () => {
        if (!session) return;
        const print = fingerprint(cart);
        const key = attempt?.cart === print ? attempt.key : newIdempotencyKey();
        setAttempt({ cart: print, key });
        setPlacing(true);
        setShortages([]);
        try {
            const order = await api.placeOrder(session.token, key, shown.map((l) => ({ product_id: l.product.id, quantity: l.quantity })));
            setCart({});
            setAttempt(null);
            notify({ kind: "success", text: `Thank you! Order #${order.id} is placed: ${money(order.total_cents)}.` });
            go("orders");
        } catch (e) {
            if (e instanceof ApiError && e.status === 401) return onExpired();
            if (e instanceof ApiError && e.status === 409) setShortages((e.body.unavailable as Shortage[]) ?? []);
            notify({ kind: "error", text: e instanceof ApiError ? e.message : String(e) });
        } finally {
            setPlacing(false);
        }
    };

    if (shown.length === 0) {
        return (
            <p>
                Your cart is empty. <a href="#/products">Browse the products</a>.
            </p>
        );
    }
    return (
        <section>
            <ul className="lines" aria-label="Cart">
                {shown.map(({ product, quantity }) => {
                    const short = shortages.find((s) => s.product_id === product.id);
                    return (
                        <li key={product.id} className="line">
                            <span className="name">{product.name}</span>
                            <span className="qty" role="group" aria-label={`Quantity of ${product.name}`}>
                                <button type="button" aria-label={`One ${product.name} less`} onClick={() => setCart(setQuantity(cart, product, quantity - 1))}>
                                    −
                                </button>
                                <output aria-live="polite">{quantity}</output>
                                <button
                                    type="button"
                                    aria-label={`One ${product.name} more`}
                                    disabled={quantity >= Math.min(product.stock, MAX_PER_PRODUCT)}
                                    onClick={() => setCart(setQuantity(cart, product, quantity + 1))}
                                >
                                    +
                                </button>
                            </span>
                            <span className="amount">{money(quantity * product.price_cents)}</span>
                            <button type="button" className="link" aria-label={`Remove ${product.name} from cart`} onClick={() => setCart(setQuantity(cart, product, 0))}>
                                Remove
                            </button>
                            {short && (
                                <span className="shortage" role="note">
                                    Only {short.available} left: lower the quantity to order.
                                </span>
                            )}
                        </li>
                    );
                })}
            </ul>
            <p className="total">
                Total <strong>{money(total(cart))}</strong>
            </p>
            {session ? (
                <button type="button" className="primary" disabled={placing} onClick={() => void place()}>
                    {placing ? "Placing your order…" : "Place order"}
                </button>
            ) : (
                <p>
                    <a href="#/sign-in">Sign in</a> or <a href="#/register">create an account</a> to place your order.
                </p>
            )}
        </section>
    );
}
