// The products with their price and stock, a page at a time; "Add to cart" up to the stock shown.
import { useCallback, useEffect, useState } from "react";
import { api, ApiError, money, Product } from "../api";
import { Cart, MAX_PER_PRODUCT, setQuantity } from "../cart";
import type { Notice } from "../App";

export function Catalogue({ cart, setCart, notify }: { cart: Cart; setCart: (c: Cart) => void; notify: (n: Notice) => void }) {
    const [products, setProducts] = useState<Product[]>([]);
    const [next, setNext] = useState<number | null>(null);
    const [state, setState] = useState<"loading" | "ready" | "failed">("loading");
    const [error, setError] = useState("");

    const load = useCallback(async (after: number | null) => {
        setState("loading");
        try {
            const page = await api.products(after);
            setProducts((shown) => (after ? [...shown, ...page.items] : page.items));
            setNext(page.next);
            setState("ready");
        } catch (e) {
            setError(e instanceof ApiError ? e.message : String(e));
            setState("failed");
        }
    }, []);

    useEffect(() => {
        void load(null);
    }, [load]);

    const add = (product: Product) => {
        const inCart = cart[product.id]?.quantity ?? 0;
        setCart(setQuantity(cart, product, inCart + 1));
        notify({ kind: "success", text: `${product.name} is in your cart (${inCart + 1}).` });
    };

    if (state === "failed" && products.length === 0) {
        return (
            <div className="notice error" role="alert">
                <p>{error}</p>
                <button type="button" onClick={() => void load(null)}>
                    Try again
                </button>
            </div>
        );
    }
    return (
        <section aria-busy={state === "loading"}>
            {state === "ready" && products.length === 0 && <p>There are no products yet.</p>}
            <ul className="grid" aria-label="Products">
                {products.map((p) => {
                    const inCart = cart[p.id]?.quantity ?? 0;
                    const full = inCart >= Math.min(p.stock, MAX_PER_PRODUCT);
                    return (
                        <li key={p.id} className="card" data-product-id={p.id}>
                            <h2>{p.name}</h2>
                            <p className="price">{money(p.price_cents)}</p>
                            <p className={p.stock > 0 ? "stock" : "stock out"}>{p.stock > 0 ? `${p.stock} in stock` : "Out of stock"}</p>
                            <button type="button" disabled={p.stock === 0 || full} onClick={() => add(p)} aria-label={`Add ${p.name} to cart`}>
                                {p.stock === 0 ? "Sold out" : full ? "All in your cart" : "Add to cart"}
                            </button>
                        </li>
                    );
                })}
            </ul>
            {state === "loading" && <p className="muted">Loading products…</p>}
            {state === "failed" && <p className="notice error" role="alert">{error}</p>}
            {next !== null && state !== "loading" && (
                <button type="button" className="secondary" onClick={() => void load(next)}>
                    Show more products
                </button>
            )}
        </section>
    );
}
