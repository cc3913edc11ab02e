/**
 * A small benchmark of the order path (not a test): POST /api/orders to order-service under gunicorn, as the cluster
 * runs it, against a real database that flushes every commit to disk (MariaDB started with `--durable`; or the shop
 * named by SHOP_STACK). Two loads, each after a warm-up:
 *   spread  concurrent customers ordering 1 to 3 of 20 products (row locks rarely meet)
 *   hot     every order for the same product (each waits for the previous one's row lock)
 * Prints p50/p95/p99 latency and orders per second, against the shop's objective (p95 under 200 ms).
 *
 *   npm run bench:orders [-- --orders 400 --clients 8]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { down, grantAdmin, runningStack, Stack, up } from "./shop-stack";

const OBJECTIVE_P95_MS = 200;

interface Options {
    orders: number;
    clients: number;
}

function options(argv: string[]): Options {
    const value = (name: string, fallback: number) => {
        const i = argv.indexOf(`--${name}`);
        if (i < 0) return fallback;
        const n = Number(argv[i + 1]);
        if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: a whole number above 0, not ${argv[i + 1]}`);
        return n;
    };
    return { orders: value("orders", 400), clients: value("clients", 8) };
}

async function call(url: string, init: { method?: string; body?: unknown; token?: string; key?: string } = {}): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.key) headers["Idempotency-Key"] = init.key;
    const response = await fetch(url, { method: init.method ?? "GET", headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return { status: response.status, body: await response.json() };
}

async function must(url: string, init: Parameters<typeof call>[1]): Promise<any> {
    const r = await call(url, init);
    if (r.status >= 300) throw new Error(`${init?.method ?? "GET"} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
}

/** An administrator, the products, and one signed-in customer per client. */
async function seed(stack: Stack, clients: number): Promise<{ products: number[]; tokens: string[] }> {
    const run = Date.now().toString(36);
    const users = stack.services["user-service"];
    const register = async (who: string) => {
        const account = { name: who, email: `${who}.${run}@example.com`, password: "a benchmark password" };
        await must(`${users}/api/users`, { method: "POST", body: account });
        return account;
    };
    const signIn = async (a: { email: string; password: string }) => (await must(`${users}/api/users/sessions`, { method: "POST", body: a })).token as string;
    const admin = await register("admin");
    grantAdmin(stack, admin.email);
    const adminToken = await signIn(admin);
    const products: number[] = [];
    for (let i = 0; i < 20; i++) {
        products.push((await must(`${stack.services["product-service"]}/api/products`, { method: "POST", token: adminToken, body: { name: `Bench item ${i}`, price_cents: 100 + i, stock: 1_000_000 } })).id);
    }
    const tokens = await Promise.all(Array.from({ length: clients }, async (_, i) => signIn(await register(`customer${i}`))));
    return { products, tokens };
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function load(stack: Stack, tokens: string[], count: number, items: () => { product_id: number; quantity: number }[]) {
    const orders = `${stack.services["order-service"]}/api/orders`;
    const latencies: number[] = [];
    const failures: Record<number, number> = {};
    let next = 0;
    const started = performance.now();
    await Promise.all(tokens.map(async (token) => {
        while (next < count) {
            next++;
            const t0 = performance.now();
            const r = await call(orders, { method: "POST", token, key: crypto.randomUUID(), body: { items: items() } });
            latencies.push(performance.now() - t0);
            if (r.status !== 201) failures[r.status] = (failures[r.status] ?? 0) + 1;
        }
    }));
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { count: latencies.length, seconds, perSecond: latencies.length / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), max: latencies.at(-1)!, failures };
}

async function main(argv: string[]): Promise<void> {
    const opts = options(argv);
    const running = runningStack();
    const dir = running ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "shop-bench-"));
    const stack = running ?? (await up(dir!, { durable: true }));
    try {
        const { products, tokens } = await seed(stack, opts.clients);
        const pick = () => products[Math.floor(Math.random() * products.length)];
        const spread = () => {
            const n = 1 + Math.floor(Math.random() * 3);
            const chosen = new Set(Array.from({ length: n }, pick));
            return [...chosen].map((product_id) => ({ product_id, quantity: 1 }));
        };
        const hot = () => [{ product_id: products[0], quantity: 1 }];
        await load(stack, tokens, 40, spread);
        const results = { spread: await load(stack, tokens, opts.orders, spread), hot: await load(stack, tokens, opts.orders, hot) };
        const cpus = os.cpus();
        process.stdout.write(`order path: ${opts.orders} orders per load, ${opts.clients} concurrent customers, order-service under gunicorn (1 worker, 4 threads)\n`);
        process.stdout.write(`machine: ${cpus.length} x ${cpus[0]?.model ?? "cpu"}; database: ${running ? "the running shop's" : "MariaDB, every commit flushed to disk"}\n\n`);
        process.stdout.write("load     orders/s   p50 ms   p95 ms   p99 ms   max ms   not 201   p95 objective\n");
        for (const [name, r] of Object.entries(results)) {
            const failed = Object.entries(r.failures).map(([s, n]) => `${n}x${s}`).join(" ") || "0";
            const verdict = r.p95 < OBJECTIVE_P95_MS ? `ok (< ${OBJECTIVE_P95_MS})` : `OVER ${OBJECTIVE_P95_MS}`;
            process.stdout.write(
                `${name.padEnd(8)} ${r.perSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(1).padStart(8)} ${r.p95.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${r.max.toFixed(1).padStart(8)} ${failed.padStart(9)}   ${verdict}\n`,
            );
        }
    } finally {
        if (!running) {
            await down(stack);
            fs.rmSync(dir!, { recursive: true, force: true });
        }
    }
}

main(process.argv.slice(2)).catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
});
