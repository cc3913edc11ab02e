// My orders, newest first, ten at a time.
import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, money, Order, Session } from "../api";

export function Orders({ session, onExpired }: { session: Session; onExpired: () => void }) {
    const [orders, setOrders] = useState<Order[]>([]);
    const [next, setNext] = useState<number | null>(null);
    const [state, setState] = useState<"loading" | "ready" | "failed">("loading");
    const [error, setError] = useState("");
    // The latest callback, without reloading the orders whenever the parent renders a new one.
    const expired = useRef(onExpired);
    expired.current = onExpired;

    const load = useCallback(
        async (after: number | null) => {
            setState("loading");
            try {
                const page = await api.orders(session.token, after);
                setOrders((shown) => (after ? [...shown, ...page.items] : page.items));
                setNext(page.next);
                setState("ready");
            } catch (e) {
                if (e instanceof ApiError && e.status === 401) return expired.current();
                setError(e instanceof ApiError ? e.message : String(e));
                setState("failed");
            }
        },
        [session.token],
    );

    useEffect(() => {
        void load(null);
    }, [load]);

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
            {state === "failed" && (
                <div className="notice error" role="alert">
                    <p>{error}</p>
                    <button type="button" onClick={() => void load(null)}>
                        Try again
                    </button>
                </div>
            )}
            {next !== null && state === "ready" && (
                <button type="button" className="secondary" onClick={() => void load(next)}>
                    Show older orders
                </button>
            )}
        </section>
    );
}
