#!/usr/bin/env node
// Functional check of the search page: node search.mjs <site-url> [query]
// - ?q=<query> opens with results, highlighted excerpts and a count in the live region;
// - a filter checkbox narrows the results and is written to the URL;
// - the counts come from the facets file, not Pagefind's filter files, and
//   are the counts Pagefind's own filtering gives;
// - a query without matches says so;
// - a result link carries ?markeer= and the page highlights the term;
// - a term inside a closed collapsible opens it; collapsibles print open;
// - without JavaScript the page explains that search needs it.
import { launch, join, sameOriginOnly } from "./lib.mjs";

const [site, query = "taal"] = process.argv.slice(2);
if (!site) {
  console.error("usage: node search.mjs <site-url> [query]");
  process.exit(2);
}
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

const browser = await launch();
const foreign = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await sameOriginOnly(context, site, foreign);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const requested = [];
  context.on("request", (r) => requested.push(new URL(r.url()).pathname));

  // 1. Opening a shared search URL shows results.
  await page.goto(join(site, `zoeken/?q=${encodeURIComponent(query)}`));
  const found = await page.waitForSelector("#search-results li", { timeout: 15000 }).then(() => true, () => false);
  check(found, `?q=${query} shows results`);
  const status = (await page.textContent("#search-status")).trim();
  check(/\d/.test(status), `live region announces the count ("${status}")`);
  check((await page.getAttribute("#search-status", "aria-live")) === "polite", "status region is aria-live=polite");
  check((await page.$$("#search-results mark")).length > 0, "excerpts highlight the query with <mark>");
  check((await page.inputValue("#search-q")) === query, "the query is put back in the search box");
  const total = await page.$$eval("#search-results li", (l) => l.length);

  // 1b. The counts: from the facets file, and what Pagefind counts itself.
  await page.waitForFunction(() => document.querySelector("#search-filter-groups .count")?.textContent, null, { timeout: 5000 }).catch(() => {});
  check(requested.some((p) => /\/pagefind\/kb-facets\.[\w.-]+\.facets$/.test(p)), "the search page loads the facets");
  check(!requested.some((p) => p.endsWith(".pf_filter")), "a search with words loads none of Pagefind's filter files");
  const shownCounts = await page.$$eval("#search-filter-groups .count", (cs) =>
    cs.map((c) => [c.dataset.filter, c.dataset.value, Number(c.textContent.replace(/\D/g, ""))]),
  );
  const engine = await page.evaluate(
    async ({ query, pick }) => {
      const form = document.getElementById("search-form");
      const pf = await import(form.dataset.pagefind);
      await pf.init();
      await pf.filters(); // Pagefind counts only with its filter files loaded
      const { queryVariants } = await import(form.dataset.analyser);
      const variants = queryVariants(query, document.documentElement.lang);
      const all = await pf.search(variants[0]);
      const [name, value] = pick || [];
      const one = name ? await pf.search(variants[0], { filters: { [name]: { any: [value] } } }) : null;
      return { variants: variants.length, n: all.results.length, filters: all.filters, filtered: one && one.results.length };
    },
    { query, pick: await page.$eval("#search-filter-groups .filter-option:not([hidden]) input", (b) => [b.name, b.value]).catch(() => null) },
  );
  check(engine.variants === 1, `"${query}" runs as one Pagefind query (${engine.variants}), so its counts compare`);
  const differ = shownCounts.filter(([f, v, n]) => ((engine.filters[f] || {})[v] || 0) !== n);
  check(shownCounts.length > 3 && differ.length === 0, `the ${shownCounts.length} counts are Pagefind's (${JSON.stringify(differ)})`);

  // 2. A filter narrows the results and lands in the URL.
  const box = await page.$("#search-filter-groups .filter-option:not([hidden]) input");
  check(Boolean(box), "filter checkboxes are shown");
  let picked = null;
  if (box) {
    const name = await box.getAttribute("name");
    const value = await box.getAttribute("value");
    picked = [name, value];
    await box.focus();
    await page.keyboard.press("Space"); // keyboard, as a reader would
    await page.waitForFunction((n) => new URL(location.href).searchParams.has(n), name, { timeout: 5000 }).catch(() => {});
    const url = new URL(page.url());
    check(url.searchParams.getAll(name).includes(value), `checking a filter writes ${name}=${value} to the URL`);
    await page.waitForTimeout(300);
    const filtered = await page.$$eval("#search-results li", (l) => l.length);
    check(filtered > 0 && filtered <= total, `filter narrows the results (${total} → ${filtered})`);
    const counted = Number(((await page.textContent(`.count[data-filter="${name}"][data-value="${value}"]`)) || "").replace(/\D/g, ""));
    const status2 = ((await page.textContent("#search-status")) || "").replace(/\./g, "");
    const announced = Number((status2.match(/\d+/) || ["-1"])[0]);
    check(
      announced === engine.filtered && counted === engine.filtered && engine.filtered === (engine.filters[name] || {})[value],
      `${name}=${value}: ${announced} results announced, counted ${counted}, as Pagefind filters (${engine.filtered})`,
    );
    // Reloading the shared URL restores the filter.
    await page.goto(url.href);
    await page.waitForSelector("#search-results li", { timeout: 15000 }).catch(() => {});
    check(await page.isChecked(`#search-filter-groups input[name="${name}"][value="${value}"]`), "the filter is restored from the URL");
  }

  // 2b. Filters without words list those pages (Pagefind filters them).
  if (picked) {
    const [name, value] = picked;
    await page.goto(join(site, `zoeken/?${name}=${encodeURIComponent(value)}`));
    await page.waitForSelector("#search-results li", { timeout: 15000 }).catch(() => {});
    const listed = ((await page.textContent("#search-status")) || "").replace(/\./g, "");
    const n = Number((listed.match(/\d+/) || ["0"])[0]);
    const all = await page.$$eval(".count", (cs) => cs.map((c) => [c.dataset.filter, c.dataset.value, c.textContent]));
    const own = all.find(([f, v]) => f === name && v === value);
    check(n > 0 && own && own[2] === `(${n})`, `?${name}=${value} without words lists its ${n} pages (${own && own[2]})`);
  }

  // 3. Nothing found.
  await page.fill("#search-q", "qqxqzzyq");
  await page.press("#search-q", "Enter");
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length === 0, null, { timeout: 5000 }).catch(() => {});
  const none = (await page.textContent("#search-status")).trim();
  check(none.length > 0 && !/^\d/.test(none), `a search without results says so ("${none}")`);

  // 4. A result opens with the term highlighted.
  await page.goto(join(site, `zoeken/?q=${encodeURIComponent(query)}`));
  await page.waitForSelector("#search-results li a", { timeout: 15000 }).catch(() => {});
  const href = await page.$eval("#search-results li a", (a) => a.getAttribute("href")).catch(() => "");
  check(href.includes("markeer="), `result links carry ?markeer= (${href})`);
  if (href) {
    await page.goto(new URL(href, site).href);
    const marked = await page.waitForSelector("mark.markering", { timeout: 10000 }).then(() => true, () => false);
    check(marked, "the result page highlights the term");
  }
  // 4b. A hit inside a closed collapsible opens it; collapsibles print open.
  await page.goto(join(site, "voor-redacteuren/?markeer=klikt"));
  const inDetails = await page
    .waitForFunction(() => document.querySelector("details.callout mark.markering")?.closest("details").open, null, { timeout: 10000 })
    .then(() => true, () => false);
  check(inDetails, "a highlighted term inside a closed collapsible opens it");
  await page.goto(join(site, "voor-redacteuren/"));
  await page.emulateMedia({ media: "print" });
  const printed = await page.$eval("details.callout:not([open])", (d) => d.querySelector("p").checkVisibility()).catch(() => false);
  check(printed, "a closed collapsible's text is printed");
  await page.emulateMedia({ media: "screen" });
  const hidden = await page.$eval("details.callout:not([open])", (d) => !d.querySelector("p").checkVisibility()).catch(() => false);
  check(hidden, "on screen a closed collapsible's text is hidden");

  check(errors.length === 0, `no JavaScript errors ${errors.join("; ")}`);
  await context.close();

  // 5. Without JavaScript.
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  const p2 = await nojs.newPage();
  await p2.goto(join(site, "zoeken/"));
  const notice = await p2.$eval("noscript", (n) => n.textContent.trim()).catch(() => "");
  check(notice.length > 20, "without JavaScript a <noscript> message explains search");
  await nojs.close();
} finally {
  await browser.close();
}
for (const url of [...new Set(foreign)]) check(false, `request to another origin: ${url}`);
console.log(`search: ${failures.length === 0 ? "all checks passed" : failures.length + " checks failed"}`);
process.exit(failures.length === 0 ? 0 : 1);
