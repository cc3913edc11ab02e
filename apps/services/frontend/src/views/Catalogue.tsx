// The products with their price and stock, a page at a time; "Add to cart" up to the stock shown.
import { api, money, Product } from "../api";
import { Cart, MAX_PER_PRODUCT, setQuantity } from "../cart";
import { LoadError, usePaged } from "../paged";
import type { Notice } from "../App";

export function Catalogue({ cart, setCart, notify }: { cart: Cart; setCart: (c: Cart) => void; notify: (n: Notice) => void }) {
    const { items: products, next, state, error, load, retry } = usePaged(api.products, "products");

    const add = (product: Product) => {
        const inCart = cart[product.id]?.quantity ?? 0;
        setCart(setQuantity(cart, product, inCart + 1));
        notify({ kind: "success", text: `${product.name} is in your cart (${inCart + 1}).` });
    };

    if (state === "failed" && products.length === 0) return <LoadError message={error} retry={() => void retry()} />;
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
            {state === "failed" && <LoadError message={error} retry={() => void retry()} />}
            {next !== null && state !== "loading" && (
                <button type="button" className="secondary" onClick={() => void load(next)}>
                    Show more products
                </button>
            )}
        </section>
    );
}
