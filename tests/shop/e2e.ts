/**
 * The shop in a browser: headless Chromium (Debian's, driven by puppeteer-core) on a phone-sized screen, through
 * the frontend's nginx, against the services running under gunicorn on a real database (tools/shop-stack.ts). One
 * customer's whole journey, then what the page says when services are stopped (their processes, for real) and how
 * the order is retried once they are back. Screenshots go to
 * $SHOP_SCREENSHOTS (default: <tmp>/shop-e2e). Run by tests/shop/run.ts: `npm run test:e2e` (or all of npm test).
 * Loaded without it, the suite starts the shop itself (the frontend must be built).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import puppeteer, { Browser, Page } from "puppeteer-core";
import { ensureStack, grantAdmin, Stack, startService, stopService } from "../../tools/shop-stack";
import { json, shop } from "./context";

const PHONE = { width: 390, height: 844, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const SCREENSHOTS = process.env.SHOP_SCREENSHOTS ?? path.join(os.tmpdir(), "shop-e2e");

/** Debian's chromium (or SHOP_CHROMIUM, e.g. the runner's google-chrome in GitHub Actions). */
function chromium(): string {
    const candidates = [process.env.SHOP_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(Boolean) as string[];
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) throw new Error("no Chromium: apt-get install chromium (.ci/run installs it), or set SHOP_CHROMIUM to a Chrome binary");
    return found;
}

describe("the shop in a browser (headless Chromium, phone screen, through nginx)", function () {
    this.timeout(60_000);
    let stack: Stack;
    let stop = async () => undefined as void;
    let browser: Browser;
    let page: Page;
    const run = Date.now().toString(36);
    const customer = { name: "Erin Example", email: `erin.${run}@example.com`, password: "a long enough password" };
    const problems: string[] = [];
    const ids = { lamp: 0, tray: 0, napkins: 0 };

    // Runs in the page (the repository's TypeScript has no DOM types: the page's globals are reached untyped).
    const text = (wanted: string) => page.waitForFunction((t) => (globalThis as any).document.body.innerText.includes(t), { timeout: 10_000 }, wanted);
    // A product's card (by id: a shop reused across runs lists the products of earlier runs too).
    const card = (id: number) => `[data-product-id="${id}"]`;
    /**
     * Waits for a product's card, showing more of the catalogue while it is not there: on a shop that earlier runs
     * used (SHOP_STACK, `npm run shop`), their products come first and this run's are pages further on.
     */
    const showCard = async (id: number) => {
        for (;;) {
            const state = await page.waitForFunction(
                (selector: string) => {
                    const document = (globalThis as any).document;
                    if (document.querySelector(selector)) return "shown";
                    return [...document.querySelectorAll("button")].some((b: { textContent: string | null }) => b.textContent?.trim() === "Show more products") ? "more" : false;
                },
                {},
                card(id),
            );
            if ((await state.jsonValue()) === "shown") return;
            await page.locator("::-p-aria(Show more products)").click();
        }
    };
    const cardText = (id: number) => page.$eval(card(id), (el) => (el as unknown as { innerText: string }).innerText);
    const snap = async (name: string) => {
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) as `${string}.png`, fullPage: true });
    };
    /** Usable on a phone and by assistive technology: nothing wider than the screen, every control named. */
    const checkView = async (view: string) => {
        const overflow = await page.evaluate(() => {
            const d = (globalThis as any).document.documentElement;
            return d.scrollWidth - d.clientWidth;
        });
        assert.ok(overflow <= 0, `${view}: ${overflow} px wider than the phone's screen`);
        const unnamed: string[] = [];
        const walk = (node: { role: string; name?: string; children?: any[] } | null) => {
            if (!node) return;
            if (["button", "link", "textbox", "combobox", "checkbox"].includes(node.role) && !node.name?.trim()) unnamed.push(node.role);
            node.children?.forEach(walk);
        };
        walk(await page.accessibility.snapshot());
        assert.deepStrictEqual(unnamed, [], `${view}: controls without an accessible name`);
    };

    before(async function () {
        this.timeout(90_000);
        if (shop.stack) stack = shop.stack;
        else ({ stack, stop } = await ensureStack());
        // The catalogue, made by an administrator the documented way (register, `app.py grant-admin`, sign in).
        const admin = { name: "Shop Admin", email: `admin.${run}@example.com`, password: "another long password" };
        await json(`${stack.url}/api/users`, { method: "POST", body: admin });
        grantAdmin(stack, admin.email);
        const { token } = await json(`${stack.url}/api/users/sessions`, { method: "POST", body: { email: admin.email, password: admin.password } });
        const add = async (name: string, price_cents: number, stock: number) => (await json(`${stack.url}/api/products`, { method: "POST", token, body: { name, price_cents, stock } })).id;
        ids.lamp = await add("Desk lamp", 2499, 5);
        ids.tray = await add("Walnut tray", 3900, 1);
        ids.napkins = await add("Linen napkins", 1450, 0);

        browser = await puppeteer.launch({
            executablePath: chromium(),
            headless: true,
            // As root (.ci/run) Chromium runs only without its sandbox, and GitHub's Ubuntu 24.04 runners forbid the
            // user namespaces it needs; both are throwaway machines that open only this loopback shop.
            args: [...(process.getuid?.() === 0 || process.env.GITHUB_ACTIONS === "true" ? ["--no-sandbox"] : []), "--disable-gpu", "--no-first-run"],
        });
        page = await browser.newPage();
        await page.setViewport(PHONE);
        page.on("pageerror", (error) => problems.push(`page error: ${error}`));
        page.on("console", (m) => m.type() === "error" && !m.text().includes("Failed to load resource") && problems.push(`console: ${m.text()}`));
    });

    afterEach(async function () {
        // A failing step's page, to look at.
        if (this.currentTest?.state === "failed" && page) await snap(`failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, "-")}`);
    });

    after(async () => {
        await browser?.close();
        await stop();
    });

    it("a customer registers, signs in, fills the cart, places an order and sees it in their orders", async () => {
        await page.goto(stack.url, { waitUntil: "networkidle0" });
        await showCard(ids.napkins);
        assert.match(await cardText(ids.lamp), /Desk lamp\s+€24\.99\s+5 in stock\s+Add to cart/);
        assert.match(await cardText(ids.napkins), /Out of stock\s+Sold out/);
        await snap("1-products");
        await checkView("products");

        await page.locator("::-p-aria(Sign in[role=\"link\"])").click();
        await page.locator("::-p-aria(Create an account[role=\"link\"])").click();
        await page.locator("::-p-aria(Name)").fill(customer.name);
        await page.locator("::-p-aria(E-mail address)").fill(customer.email);
        await page.locator("::-p-aria(Password)").fill(customer.password);
        await snap("2-register");
        await checkView("register");
        await page.locator("::-p-aria(Create account[role=\"button\"])").click();
        await text(`Welcome, ${customer.name}.`);
        const first = await page.evaluate(() => JSON.parse((globalThis as any).sessionStorage.getItem("shop.session")).token as string);
        await page.locator("::-p-aria(Sign out)").click();
        await text("You are signed out.");
        // Signed out on the server: the token the tab had no longer works anywhere.
        const ended = await fetch(`${stack.url}/api/users/me`, { headers: { Authorization: `Bearer ${first}` } });
        assert.strictEqual(ended.status, 401);

        await page.locator("::-p-aria(Sign in[role=\"link\"])").click();
        await page.locator("::-p-aria(E-mail address)").fill(customer.email);
        await page.locator("::-p-aria(Password)").fill("not the password");
        await page.locator("::-p-aria(Sign in[role=\"button\"])").click();
        await text("Wrong e-mail address or password");
        await page.locator("::-p-aria(Password)").fill(customer.password);
        await page.locator("::-p-aria(Sign in[role=\"button\"])").click();
        await text(`Signed in as ${customer.name}`);

        await page.goto(`${stack.url}/#/products`);
        await showCard(ids.tray);
        await page.locator(`${card(ids.lamp)} ::-p-aria(Add Desk lamp to cart)`).click();
        await page.locator(`${card(ids.lamp)} ::-p-aria(Add Desk lamp to cart)`).click();
        await page.locator(`${card(ids.tray)} ::-p-aria(Add Walnut tray to cart)`).click();
        assert.match(await cardText(ids.tray), /All in your cart/, "no more than the stock");
        await page.locator("::-p-aria(Cart 3 items)").click();
        await text("€88.98");
        await snap("3-cart");
        await checkView("cart");
        await page.locator("::-p-aria(Place order)").click();
        await text("is placed: €88.98");
        await text("2 × Desk lamp");
        await text("1 × Walnut tray");
        await snap("4-orders");
        await checkView("orders");

        // What the services stored: the order is the customer's, and the stock is taken.
        const product = await json(`${stack.url}/api/products/${ids.lamp}`);
        assert.strictEqual(product.stock, 3);
        await page.goto(`${stack.url}/#/products`);
        await showCard(ids.tray); // the later of the two: both are shown
        await page.waitForFunction((sel) => (globalThis as any).document.querySelector(sel)?.innerText.includes("3 in stock"), {}, card(ids.lamp));
        assert.match(await cardText(ids.tray), /Out of stock/);
        assert.deepStrictEqual(problems, []);
    });

    it("says which service is down (stopped for real), keeps the order's key when the customer leaves and retries, and recovers", async function () {
        this.timeout(60_000);
        await page.goto(`${stack.url}/#/products`, { waitUntil: "networkidle0" });
        await showCard(ids.lamp);
        await page.locator(`${card(ids.lamp)} ::-p-aria(Add Desk lamp to cart)`).click();
        // The Idempotency-Key of every order the page sends (observed, not changed).
        const keys: string[] = [];
        const onRequest = (r: import("puppeteer-core").HTTPRequest) => r.method() === "POST" && r.url().endsWith("/api/orders") && keys.push(r.headers()["idempotency-key"]);
        page.on("request", onRequest);
        const down = ["product-service", "order-service"] as const;
        await Promise.all(down.map((s) => stopService(stack, s)));
        try {
            await page.reload({ waitUntil: "networkidle0" });
            await text("The catalogue is not answering right now. Please try again in a moment.");
            await snap("5-service-down");
            // The browser's network gone (Chromium offline): a different message.
            await page.setOfflineMode(true);
            await page.locator("::-p-aria(Try again)").click();
            await text("The catalogue cannot be reached.");
            await page.setOfflineMode(false);

            await page.locator("::-p-aria(Cart 1 items)").click();
            await page.locator("::-p-aria(Place order)").click();
            await text("The order service is not answering right now.");
            // The customer leaves the cart and reloads the page before trying again.
            await page.locator("::-p-aria(Products[role=\"link\"])").click();
            await page.reload({ waitUntil: "networkidle0" });
        } finally {
            await Promise.all(down.map((s) => startService(stack, s)));
        }
        await page.locator("::-p-aria(Try again)").click();
        await showCard(ids.lamp);
        await page.locator("::-p-aria(Cart 1 items)").click();
        await page.locator("::-p-aria(Place order)").click();
        await text("is placed: €24.99");
        page.off("request", onRequest);
        assert.strictEqual(keys.length, 2, "two attempts");
        assert.strictEqual(keys[1], keys[0], "the retry is the same order for the service (the same Idempotency-Key)");
        assert.deepStrictEqual(problems, []);
    });
});
