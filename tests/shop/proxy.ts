/**
 * The frontend's nginx in front of the services (tools/shop-stack.ts runs it with the image's configuration), as the
 * load balancer reaches it: what it passes on that the services rely on. The arrival time (X-Request-Start), from
 * which order-service counts an order's deadline, and the client's address (X-Forwarded-For), by which user-service
 * throttles sign-ins; both replace whatever a client sent. Run by tests/shop/run.ts with the browser test.
 */
import * as assert from "assert";
import { ensureStack, grantAdmin, Stack } from "../../tools/shop-stack";
import { call, json, shop } from "./context";

describe("the frontend's proxy in front of the services (nginx, the image's configuration)", function () {
    this.timeout(30_000);
    let stack: Stack;
    let stop = async () => undefined as void;
    const run = `${Date.now().toString(36)}.${process.pid}`;
    const password = "a long enough password";
    let token = "";
    let product = 0;

    before(async function () {
        this.timeout(90_000);
        if (shop.stack) stack = shop.stack;
        else ({ stack, stop } = await ensureStack());
        const admin = { name: "Proxy Admin", email: `proxy.admin.${run}@example.com`, password };
        await json(`${stack.url}/api/users`, { method: "POST", body: admin });
        grantAdmin(stack, admin.email);
        ({ token } = await json(`${stack.url}/api/users/sessions`, { method: "POST", body: { email: admin.email, password } }));
        product = (await json(`${stack.url}/api/products`, { method: "POST", token, body: { name: `Proxy test ${run}`, price_cents: 100, stock: 10 } })).id;
    });

    after(() => stop());

    const order = (base: string, headers: Record<string, string>) =>
        call(`${base}/api/orders`, { method: "POST", token, body: { items: [{ product_id: product, quantity: 1 }] }, headers: { "Idempotency-Key": `proxy-${run.replace(/\W/g, "")}-${Math.random().toString(36).slice(2)}`, ...headers } });

    it("passes on when it received an order, replacing a client's own X-Request-Start", async () => {
        // A start in 2001: taken as is, the order's deadline would be long past.
        const forged = { "X-Request-Start": "t=1000000000.000" };
        const direct = await order(stack.services["order-service"], forged);
        assert.strictEqual(direct.status, 504, "order-service counts its deadline from the header");
        const proxied = await order(stack.url, forged);
        assert.strictEqual(proxied.status, 201, `nginx set its own arrival time: ${JSON.stringify(proxied.body)}`);
    });

    it("passes on the client's address as the load balancer appended it, so one client's guesses lock out only that client", async () => {
        const email = `proxy.owner.${run}@example.com`;
        await json(`${stack.url}/api/users`, { method: "POST", body: { name: "Owner", email, password } });
        const signIn = (secret: string, forwardedFor: string) => call(`${stack.url}/api/users/sessions`, { method: "POST", body: { email, password: secret }, headers: { "X-Forwarded-For": forwardedFor } });
        // What the ALB sends for a guesser at 203.0.113.50: whatever the guesser wrote, then the address it saw.
        for (let i = 0; i < 10; i++) assert.strictEqual((await signIn("guessing wrong", `198.51.100.${i}, 203.0.113.50`)).status, 401);
        assert.strictEqual((await signIn(password, "192.0.2.1, 203.0.113.50")).status, 429, "another address written in front does not help the guesser");
        assert.strictEqual((await signIn(password, "203.0.113.51")).status, 201, "the owner, at another address, still signs in");
    });
});
