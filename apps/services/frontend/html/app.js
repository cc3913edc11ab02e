// Lists the shop's products, users and orders from the three services (through this nginx's /api/ proxy).
"use strict";

const money = (cents) => (cents / 100).toLocaleString(undefined, { style: "currency", currency: "EUR" });

const views = {
  products: (p) => `${p.name}: ${money(p.price_cents)} (${p.stock} in stock)`,
  users: (u) => `${u.name} <${u.email}>`,
  orders: (o) => `Order ${o.id} by user ${o.user_id}: ${money(o.total_cents)}`,
};

async function show(kind) {
  const list = document.getElementById(kind);
  try {
    const response = await fetch(`/api/${kind}`, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const items = await response.json();
    list.replaceChildren(...items.map((item) => Object.assign(document.createElement("li"), { textContent: views[kind](item) })));
    if (items.length === 0) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: "none yet" }));
    return true;
  } catch (error) {
    list.replaceChildren(Object.assign(document.createElement("li"), { className: "error", textContent: `unavailable (${error.message})` }));
    return false;
  }
}

Promise.all(Object.keys(views).map(show)).then((results) => {
  document.getElementById("status").textContent = results.every(Boolean) ? "All services answer." : "Some services do not answer.";
});
