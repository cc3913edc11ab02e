/**
 * The shop in a browser: headless Chromium (Debian's, driven by puppeteer-core) on a phone-sized screen, through
 * the frontend's nginx, against the services running under gunicorn on a real database (tools/shop-stack.ts). One
 * customer's whole journey, then what the page says when a service does not answer. Screenshots go to
 * $SHOP_SCREENSHOTS (default: <tmp>/shop-e2e). Run by tests/shop/run.ts: `npm run test:e2e` (or all of npm test).
 * Loaded without it, the suite starts the shop itself (the frontend must be built).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import puppeteer, { Browser, Page } from "puppeteer-core";
import { ensureStack, grantAdmin, Stack } from "../../tools/shop-stack";
import { shop } from "./context";

const PHONE = { width: 390, height: 844, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const SCREENSHOTS = process.env.SHOP_SCREENSHOTS ?? path.join(os.tmpdir(), "shop-e2e");

/** Debian's chromium (or SHOP_CHROMIUM, e.g. the runner's google-chrome in GitHub Actions). */
function chromium(): string {
    const candidates = [process.env.SHOP_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter(Boolean) as string[];
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) throw new Error("no Chromium: apt-get install chromium (.ci/run installs it), or set SHOP_CHROMIUM to a Chrome binary");
    return found;
}

async function json(url: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<any> {
    const response = await fetch(url, {
        method: init.method ?? "GET",
        headers: { "Content-Type": "application/json", ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${response.status} ${JSON.stringify(body)}`);
    return body;
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
        await page.waitForSelector(card(ids.napkins));
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
        await page.locator("::-p-aria(Sign out)").click();
        await text("You are signed out.");

        await page.locator("::-p-aria(Sign in[role=\"link\"])").click();
        await page.locator("::-p-aria(E-mail address)").fill(customer.email);
        await page.locator("::-p-aria(Password)").fill("not the password");
        await page.locator("::-p-aria(Sign in[role=\"button\"])").click();
        await text("Wrong e-mail address or password");
        await page.locator("::-p-aria(Password)").fill(customer.password);
        await page.locator("::-p-aria(Sign in[role=\"button\"])").click();
        await text(`Signed in as ${customer.name}`);

        await page.goto(`${stack.url}/#/products`);
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
        await page.waitForFunction((sel) => (globalThis as any).document.querySelector(sel)?.innerText.includes("3 in stock"), {}, card(ids.lamp));
        assert.match(await cardText(ids.tray), /Out of stock/);
        assert.deepStrictEqual(problems, []);
    });

    it("says which service is not answering, and offers to try again", async () => {
        await page.setRequestInterception(true);
        let mode: "down" | "gone" | "up" = "down";
        const onRequest = (request: import("puppeteer-core").HTTPRequest) => {
            if (!request.url().includes("/api/products") || mode === "up") return void request.continue();
            // What nginx answers for a service that is down, and a network that is gone.
            if (mode === "down") return void request.respond({ status: 502, contentType: "application/json", body: '{"error": "the service is unavailable, try again"}' });
            return void request.abort("connectionrefused");
        };
        page.on("request", onRequest);
        try {
            await page.goto(`${stack.url}/#/products`, { waitUntil: "networkidle0" });
            await page.reload({ waitUntil: "networkidle0" });
            await text("The catalogue is not answering right now. Please try again in a moment.");
            await snap("5-service-down");
            mode = "gone";
            await page.locator("::-p-aria(Try again)").click();
            await text("The catalogue cannot be reached.");
            mode = "up";
            await page.locator("::-p-aria(Try again)").click();
            await page.waitForSelector(card(ids.lamp));
        } finally {
            page.off("request", onRequest);
            await page.setRequestInterception(false);
        }
    });
});
