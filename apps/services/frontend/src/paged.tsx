// A list the API serves in pages (products, orders): the items shown so far, loading the next page, and its failure.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, Page } from "./api";

export interface Paged<T> {
    items: T[];
    next: number | null;
    state: "loading" | "ready" | "failed";
    error: string;
    /** Loads the first page (after = null) or the one after `after`. */
    load: (after: number | null) => Promise<void>;
    /** Loads again the page that failed (the first, or the one after those shown), keeping the pages shown. */
    retry: () => Promise<void>;
}

/** `fetchPage` is called again whenever `key` changes (e.g. another signed-in user); a 401 goes to `onExpired`. */
export function usePaged<T>(fetchPage: (after: number | null) => Promise<Page<T>>, key: string, onExpired?: () => void): Paged<T> {
    const [items, setItems] = useState<T[]>([]);
    const [next, setNext] = useState<number | null>(null);
    const [state, setState] = useState<Paged<T>["state"]>("loading");
    const [error, setError] = useState("");
    // The latest callbacks, without reloading whenever the parent renders new ones.
    const callbacks = useRef({ fetchPage, onExpired });
    callbacks.current = { fetchPage, onExpired };

    // The page asked for last: the one a retry asks for again.
    const lastAsked = useRef<number | null>(null);

    const load = useCallback(
        async (after: number | null) => {
            lastAsked.current = after;
            setState("loading");
            try {
                const page = await callbacks.current.fetchPage(after);
                setItems((shown) => (after ? [...shown, ...page.items] : page.items));
                setNext(page.next);
                setState("ready");
            } catch (e) {
                if (e instanceof ApiError && e.status === 401 && callbacks.current.onExpired) return callbacks.current.onExpired();
                setError(e instanceof ApiError ? e.message : String(e));
                setState("failed");
            }
        },
        // A new `key` makes it a new list; the callbacks are read through the ref.
        [key],
    );

    useEffect(() => {
        void load(null);
    }, [load]);

    const retry = useCallback(() => load(lastAsked.current), [load]);

    return { items, next, state, error, load, retry };
}

/** What a list says when its page could not be loaded, with a way to try again. */
export function LoadError({ message, retry }: { message: string; retry: () => void }) {
    return (
        <div className="notice error" role="alert">
            <p>{message}</p>
            <button type="button" onClick={retry}>
                Try again
            </button>
        </div>
    );
}
