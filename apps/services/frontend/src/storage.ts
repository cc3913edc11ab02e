// Values kept in sessionStorage as JSON (the session token and the cart): gone when the tab is closed.
import { useEffect, useState } from "react";

export function useStored<T>(key: string, initial: T): [T, (value: T) => void] {
    const [value, setValue] = useState<T>(() => {
        try {
            const stored = sessionStorage.getItem(key);
            return stored === null ? initial : (JSON.parse(stored) as T);
        } catch {
            return initial;
        }
    });
    useEffect(() => {
        if (value === null || value === undefined) sessionStorage.removeItem(key);
        else sessionStorage.setItem(key, JSON.stringify(value));
    }, [key, value]);
    return [value, setValue];
}

/** The view named by the location's hash (#/cart), so that Back, reload and links work. */
export function useRoute(): [string, (route: string) => void] {
    const read = () => window.location.hash.replace(/^#\/?/, "") || "products";
    const [route, setRoute] = useState(read);
    useEffect(() => {
        const onChange = () => setRoute(read());
        window.addEventListener("hashchange", onChange);
        return () => window.removeEventListener("hashchange", onChange);
    }, []);
    return [route, (next: string) => (window.location.hash = `#/${next}`)];
}
