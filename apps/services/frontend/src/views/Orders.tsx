// My orders, newest first, ten at a time.
import { api, money, Session } from "../api";
import { LoadError, usePaged } from "../paged";

export function Orders({ session, onExpired }: { session: Session; onExpired: () => void }) {
    const { items: orders, next, state, error, load, retry } = usePaged((after) => api.orders(session.token, after), session.token, onExpired);

    return (
        <section aria-busy={state === "loading"}>
            {state === "ready" && orders.length === 0 && (
                <p>
                    You have no orders yet. <a href="#/products">Browse the products</a>.
                </p>
            )}
            <ol className="orders" aria-label="My orders">
                {orders.map((o) => (
                    <li key={o.id} className="card order">
                        <h2>
                            Order #{o.id} <span className="muted">· {new Date(o.created_at).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" })}</span>
                        </h2>
                        <ul>
                            {o.items.map((i) => (
                                <li key={i.product_id}>
                                    {i.quantity} × {i.product_name} <span className="muted">at {money(i.unit_price_cents)}</span>
                                </li>
                            ))}
                        </ul>
                        <p className="total">
                            Total <strong>{money(o.total_cents)}</strong>
                        </p>
                    </li>
                ))}
            </ol>
            {state === "loading" && <p className="muted">Loading your orders…</p>}
            {state === "failed" && <LoadError message={error} retry={() => void retry()} />}
            {next !== null && state === "ready" && (
                <button type="button" className="secondary" onClick={() => void load(next)}>
                    Show older orders
                </button>
            )}
        </section>
    );
}
