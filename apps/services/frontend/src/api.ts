// The shop's REST API, through this nginx's /api/ proxy (the services are documented in the README, "The shop's API").
// Every failure becomes an ApiError whose message a person can act on: which service is not answering, or what the
// service said about the request.

export interface User {
    id: number;
    name: string;
    email: string;
    role: "customer" | "admin";
}

export interface Session {
    token: string;
    user: User;
}

export interface Product {
    id: number;
    name: string;
    price_cents: number;
    stock: number;
}

export interface OrderItem {
    product_id: number;
    product_name: string;
    quantity: number;
    unit_price_cents: number;
}

export interface Order {
    id: number;
    total_cents: number;
    created_at: string;
    items: OrderItem[];
}

export interface Page<T> {
    items: T[];
    next: number | null;
}

export interface Shortage {
    product_id: number;
    requested: number;
    available: number;
}

const SERVICES: Record<string, string> = {
    users: "The account service",
    products: "The catalogue",
    orders: "The order service",
};

export class ApiError extends Error {
    constructor(
        message: string,
        readonly status: number,
        readonly body: Record<string, unknown> = {},
    ) {
        super(message);
    }

    /** A service (or the way to it) is down: trying again later may work. */
    get unavailable(): boolean {
        return this.status === 0 || this.status >= 502;
    }
}

function serviceOf(path: string): string {
    return SERVICES[path.split(/[/?]/)[2]] ?? "The shop";
}

async function request<T>(path: string, options: { method?: string; body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
        response = await fetch(path, {
            method: options.method ?? "GET",
            headers,
            body: options.body === undefined ? undefined : JSON.stringify(options.body),
            signal: AbortSignal.timeout(20_000),
        });
    } catch {
        throw new ApiError(`${serviceOf(path)} cannot be reached. Check your connection and try again.`, 0);
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return body as T;
    if (response.status >= 502) {
        throw new ApiError(`${serviceOf(path)} is not answering right now. Please try again in a moment.`, response.status, body);
    }
    const said = typeof body.error === "string" ? body.error : `the request failed (HTTP ${response.status})`;
    throw new ApiError(said.charAt(0).toUpperCase() + said.slice(1), response.status, body);
}

export const api = {
    register: (name: string, email: string, password: string) => request<User>("/api/users", { method: "POST", body: { name, email, password } }),
    signIn: (email: string, password: string) => request<Session>("/api/users/sessions", { method: "POST", body: { email, password } }),
    /** Ends the account's sessions on the server (every tab and device), not only this tab's copy of the token. */
    signOut: (token: string) => request<unknown>("/api/users/sessions", { method: "DELETE", token }),
    products: (after?: number | null) => request<Page<Product>>(`/api/products?limit=24${after ? `&after=${after}` : ""}`),
    orders: (token: string, after?: number | null) => request<Page<Order>>(`/api/orders?limit=10${after ? `&after=${after}` : ""}`, { token }),
    placeOrder: (token: string, idempotencyKey: string, items: { product_id: number; quantity: number }[]) =>
        request<Order>("/api/orders", { method: "POST", token, body: { items }, headers: { "Idempotency-Key": idempotencyKey } }),
};

/** A new random key for one order and its retries (crypto.getRandomValues works on plain HTTP too, randomUUID does not). */
export function newIdempotencyKey(): string {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function money(cents: number): string {
    return (cents / 100).toLocaleString("en-IE", { style: "currency", currency: "EUR" });
}
