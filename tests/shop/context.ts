// What tests/shop/run.ts hands to the suites it loads into mocha (the running shop), and their HTTP helpers.
import { Stack } from "../../tools/shop-stack";

export const shop: { stack?: Stack } = {};

export interface CallOptions {
    method?: string;
    body?: unknown;
    token?: string;
    headers?: Record<string, string>;
}

/** A JSON request: the answer's status and body. */
export async function call(url: string, init: CallOptions = {}): Promise<{ status: number; body: any }> {
    const response = await fetch(url, {
        method: init.method ?? "GET",
        headers: { "Content-Type": "application/json", ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: response.status, body: await response.json().catch(() => ({})) };
}

/** A JSON request that must succeed: the answer's body, or an error naming the request and the answer. */
export async function json(url: string, init: CallOptions = {}): Promise<any> {
    const { status, body } = await call(url, init);
    if (status >= 400) throw new Error(`${init.method ?? "GET"} ${url}: ${status} ${JSON.stringify(body)}`);
    return body;
}
