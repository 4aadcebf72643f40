#!/usr/bin/env node
// The header's search as you type, as a reader uses it:
//   node header-search.mjs <site-url> <page> <query> <expected-url>
// Opens <page>, presses `/`, types <query> and checks the ARIA 1.2 combobox
// (listbox options with section, excerpt and sub-results; aria-expanded,
// aria-controls, aria-activedescendant moved by the arrow keys; Esc closes;
// Enter opens the page), the count in the one live region (against
// Pagefind's own count), that Pagefind loads only once the box is used,
// and that without JavaScript the form submits to zoeken/?q=<query>.
// <expected-url> (path from the site root, e.g. /pilots/a/) must be offered.
// Exit code 1 when a check fails.
import { launch, join, sameOriginOnly } from "./lib.mjs";

const [site, pagePath, query, expected] = process.argv.slice(2);
if (!site || !pagePath || !query || !expected) {
  console.error("usage: node header-search.mjs <site-url> <page> <query> <expected-url>");
  process.exit(2);
}
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const base = new URL(site).pathname;
const expectedUrl = base.replace(/\/$/, "") + expected;

const browser = await launch();
const foreign = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await sameOriginOnly(context, site, foreign);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const pagefindRequests = [];
  page.on("request", (r) => r.url().includes("/pagefind/") && pagefindRequests.push(r.url()));

  await page.goto(join(site, pagePath));
  await page.waitForLoadState("load");
  await page.waitForTimeout(300);
  check(pagefindRequests.length === 0, `no Pagefind request before the box is used (${pagefindRequests.length})`);
  const box = "#site-search-q";
  check((await page.getAttribute(box, "role")) === "combobox", "the input is role=combobox");
  check((await page.getAttribute(box, "aria-expanded")) === "false", "aria-expanded=false before typing");
  const listId = await page.getAttribute(box, "aria-controls");
  check(Boolean(listId) && (await page.getAttribute(`#${listId}`, "role")) === "listbox", `aria-controls names the listbox (${listId})`);

  // `/` focuses the box (from the page, not from a field).
  await page.locator("main").click({ position: { x: 1, y: 1 } }).catch(() => {});
  await page.keyboard.press("/");
  check(await page.evaluate(() => document.activeElement && document.activeElement.id === "site-search-q"), "`/` focuses the search box");
  check((await page.inputValue(box)) === "", "`/` is not typed into the box");

  await page.keyboard.type(query, { delay: 20 });
  const shown = await page.waitForSelector(`#${listId} [role=option]`, { timeout: 15000 }).then(() => true, () => false);
  check(shown, `typing '${query}' shows options`);
  check(pagefindRequests.length > 0, "Pagefind is loaded once the box is used");
  check((await page.getAttribute(box, "aria-expanded")) === "true", "aria-expanded=true with results");
  const opts = await page.$$eval(`#${listId} [role=option]`, (os) =>
    os.map((o) => ({
      id: o.id,
      url: o.dataset.url,
      sub: o.classList.contains("is-sub"),
      title: (o.querySelector(".header-search-title") || {}).textContent || "",
      section: (o.querySelector(".header-search-section") || {}).textContent || "",
      excerpt: (o.querySelector(".header-search-excerpt") || {}).innerHTML || "",
    })),
  );
  const urls = opts.map((o) => o.url.split(/[?#]/)[0]);
  check(urls.includes(expectedUrl), `${expectedUrl} is offered (${[...new Set(urls)].join(" ")})`);
  check(opts.every((o) => o.id && o.title.trim()), "every option has an id and a title");
  check(opts.filter((o) => !o.sub).every((o) => o.section.trim()), "every result shows its section");
  check(opts.some((o) => o.excerpt.includes("<mark>")), "excerpts highlight the query");
  check(opts.some((o) => o.sub && o.url.includes("#")), "sub-results link to a heading (#anchor)");
  check(opts.every((o) => o.url.startsWith(base)), `option URLs carry the base path ${base}`);

  // One live region, with Pagefind's own count.
  const count = await page.evaluate(
    async ({ bundle, base, q }) => {
      const pf = await import(bundle);
      await pf.options({ baseUrl: base });
      await pf.init();
      return (await pf.search(q)).results.length;
    },
    { bundle: join(site, "pagefind/pagefind.js"), base, q: query },
  );
  const status = await page.$$eval(".site-search [role=status], .site-search [aria-live]", (s) => s.map((x) => x.textContent.trim()));
  check(status.length === 1, `one live region in the header form (${status.length})`);
  check(status[0] && status[0].includes(String(count)), `the live region announces ${count} ("${status[0]}")`);
  check(!(await page.$(`#${listId}[aria-live], #${listId} [aria-live]`)), "the list itself is not a live region");

  // Arrow keys move aria-activedescendant.
  const active = () => page.getAttribute(box, "aria-activedescendant");
  await page.keyboard.press("ArrowDown");
  check((await active()) === opts[0].id, `ArrowDown activates the first option (${await active()})`);
  check((await page.getAttribute(`#${opts[0].id}`, "aria-selected")) === "true", "the active option is aria-selected");
  if (opts.length > 1) {
    await page.keyboard.press("ArrowDown");
    check((await active()) === opts[1].id, "ArrowDown again moves to the second option");
    await page.keyboard.press("ArrowUp");
    check((await active()) === opts[0].id, "ArrowUp moves back");
  }
  check(await page.evaluate(() => document.activeElement.id === "site-search-q"), "the focus stays in the box");

  // Esc closes.
  await page.keyboard.press("Escape");
  check((await page.getAttribute(box, "aria-expanded")) === "false", "Esc sets aria-expanded=false");
  check(!(await page.isVisible(`#${listId}`)), "Esc hides the list");
  check((await active()) === null, "Esc clears aria-activedescendant");
  check((await page.inputValue(box)) === query, "Esc keeps the query");

  // Enter opens the active option's page.
  const target = opts.findIndex((o) => o.url.split(/[?#]/)[0] === expectedUrl);
  await page.keyboard.press("ArrowDown");
  for (let i = 0; i < Math.max(target, 0); i++) await page.keyboard.press("ArrowDown");
  await Promise.all([page.waitForNavigation({ timeout: 10000 }).catch(() => {}), page.keyboard.press("Enter")]);
  const landed = new URL(page.url());
  check(landed.pathname === expectedUrl, `Enter opens ${expectedUrl} (${landed.pathname})`);
  const h1 = ((await page.textContent("h1").catch(() => "")) || "").trim();
  check(h1.length > 0, `the opened page has a heading ("${h1}")`);
  check(errors.length === 0, `no JavaScript errors ${errors.join("; ")}`);

  // Phone: the list fits the screen.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(join(site, pagePath));
  await page.fill(box, query);
  await page.waitForSelector(`#${listId} [role=option]`, { timeout: 15000 }).catch(() => {});
  const rect = await page.$eval(".header-search-popup", (p) => p.getBoundingClientRect().toJSON()).catch(() => null);
  check(rect && rect.left >= 0 && rect.right <= 375 && rect.width > 200, `on a phone the list fits the screen (${rect && Math.round(rect.left)}–${rect && Math.round(rect.right)})`);
  await context.close();

  // Without JavaScript the form submits to the search page.
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  await sameOriginOnly(nojs, site, foreign);
  const p2 = await nojs.newPage();
  await p2.goto(join(site, pagePath));
  await p2.fill(box, query);
  await Promise.all([p2.waitForNavigation({ timeout: 10000 }).catch(() => {}), p2.press(box, "Enter")]);
  const sent = new URL(p2.url());
  check(sent.pathname === `${base.replace(/\/$/, "")}/zoeken/` && sent.searchParams.get("q") === query, `without JavaScript the form submits to zoeken/?q=${query} (${sent.pathname}${sent.search})`);
  await nojs.close();
} finally {
  await browser.close();
}
for (const url of [...new Set(foreign)]) check(false, `request to another origin: ${url}`);
console.log(`header-search: ${failures.length === 0 ? "all checks passed" : failures.length + " checks failed"}`);
process.exit(failures.length === 0 ? 0 : 1);
