// The shop: one page with four views (products, cart, my orders, sign in / register), chosen by the location's hash.
import { useEffect, useRef, useState } from "react";
import { api, ApiError, Session } from "./api";
import { Cart, count } from "./cart";
import { useRoute, useStored } from "./storage";
import { Catalogue } from "./views/Catalogue";
import { CartView } from "./views/CartView";
import { Orders } from "./views/Orders";
import { Account } from "./views/Account";

export interface Notice {
    kind: "success" | "error";
    text: string;
}

const TITLES: Record<string, string> = { products: "Products", cart: "Your cart", orders: "My orders", "sign-in": "Sign in", register: "Create an account" };

export function App() {
    const [route, go] = useRoute();
    const [session, setSession] = useStored<Session | null>("shop.session", null);
    const [cart, setCart] = useStored<Cart>("shop.cart", {});
    const [notice, setNotice] = useState<Notice | null>(null);
    const heading = useRef<HTMLHeadingElement>(null);
    const view = TITLES[route] ? route : "products";

    // A new view: its title in the tab, and the focus on its heading (screen readers announce where they are).
    useEffect(() => {
        document.title = `${TITLES[view]} · Shop`;
        heading.current?.focus();
    }, [view]);

    const signOut = async () => {
        let ended = true;
        if (session) {
            // A 401 means the session had ended already; only a service that did not answer leaves it open.
            ended = await api.signOut(session.token).then(
                () => true,
                (e) => !(e instanceof ApiError && e.unavailable),
            );
        }
        setSession(null);
        setNotice(
            ended
                ? { kind: "success", text: "You are signed out." }
                : { kind: "error", text: "You are signed out in this tab, but the account service did not answer: your session stays valid elsewhere until it expires." },
        );
        go("products");
    };
    const expired = () => {
        setSession(null);
        setNotice({ kind: "error", text: "Your session has ended. Please sign in again." });
        go("sign-in");
    };

    return (
        <>
            <a className="skip" href="#main">
                Skip to content
            </a>
            <header className="bar">
                <a className="brand" href="#/products">
                    Shop
                </a>
                <nav aria-label="Main">
                    <a href="#/products" aria-current={view === "products" ? "page" : undefined}>
                        Products
                    </a>
                    <a href="#/cart" aria-current={view === "cart" ? "page" : undefined}>
                        Cart <span className="badge" aria-label={`${count(cart)} items`}>{count(cart)}</span>
                    </a>
                    {session ? (
                        <a href="#/orders" aria-current={view === "orders" ? "page" : undefined}>
                            My orders
                        </a>
                    ) : (
                        <a href="#/sign-in" aria-current={view === "sign-in" || view === "register" ? "page" : undefined}>
                            Sign in
                        </a>
                    )}
                </nav>
            </header>
            <main id="main">
                <h1 ref={heading} tabIndex={-1}>
                    {TITLES[view]}
                </h1>
                {session && (
                    <p className="who">
                        Signed in as {session.user.name} ({session.user.email}){" "}
                        <button type="button" className="link" onClick={() => void signOut()}>
                            Sign out
                        </button>
                    </p>
                )}
                <div aria-live="polite" aria-atomic="true">
                    {notice && (
                        <p className={`notice ${notice.kind}`} role={notice.kind === "error" ? "alert" : "status"}>
                            {notice.text}
                            <button type="button" className="dismiss" aria-label="Dismiss message" onClick={() => setNotice(null)}>
                                ×
                            </button>
                        </p>
                    )}
                </div>
                {view === "products" && <Catalogue cart={cart} setCart={setCart} notify={setNotice} />}
                {view === "cart" && <CartView cart={cart} setCart={setCart} session={session} notify={setNotice} go={go} onExpired={expired} />}
                {view === "orders" && (session ? <Orders session={session} onExpired={expired} /> : <SignInFirst />)}
                {(view === "sign-in" || view === "register") && (
                    <Account
                        mode={view}
                        onSignedIn={(s) => {
                            setSession(s);
                            setNotice({ kind: "success", text: `Welcome, ${s.user.name}.` });
                            go(count(cart) > 0 ? "cart" : "products");
                        }}
                    />
                )}
            </main>
        </>
    );
}

function SignInFirst() {
    return (
        <p>
            <a href="#/sign-in">Sign in</a> to see your orders.
        </p>
    );
}
