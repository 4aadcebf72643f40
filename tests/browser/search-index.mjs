#!/usr/bin/env node
// The search index in Chromium, as a reader's browser uses it.
//
//   node search-index.mjs <site-url> <plan.json>
//     Runs the plan's queries through Pagefind's JS API (the bundle the build
//     wrote, at <site-url>pagefind/pagefind.js, with its default settings) and
//     opens the plan's search-page URLs, then prints what it saw as JSON on
//     stdout. tests/search.rs makes the assertions.
//     plan: {"queries": [{"term": "taal" | null, "filters": {...}}],
//            "ui": ["zoeken/?q=taal", ...]}
//
//   node search-index.mjs <site-url> --measure <query>
//     Opens the search page with ?q=<query> and prints what Chromium
//     downloads for it (from pagefind/ and the theme's js/kb-*.js modules)
//     until the first results are shown.
//   node search-index.mjs <site-url> --measure-header <query>
//     The same for <query> typed into the header box of a page.
//
// Requests to other origins are blocked and reported ("foreign").
import { readFileSync } from "node:fs";
import { launch, join, sameOriginOnly } from "./lib.mjs";

const [site, mode, arg] = process.argv.slice(2);
if (!site || !mode) {
  console.error("usage: node search-index.mjs <site-url> <plan.json> | --measure[-header] <query>");
  process.exit(2);
}

// Runs in the page: Pagefind from the bundle, default options (so the result
// URLs show which base path Pagefind derives from where pagefind.js lives).
// The term goes in as the index's keys, made by the theme's kb-dutch.js as
// the search page and the header box do.
async function engine({ bundle, dutch, queries }) {
  const pf = await import(bundle);
  const kb = await import(dutch);
  const lang = document.documentElement.lang;
  await pf.init();
  const out = [];
  for (const q of queries) {
    const term = q.term === null ? null : kb.queryKeys(q.term, lang);
    const r = await pf.search(term, q.filters ? { filters: q.filters } : {});
    const data = await Promise.all(r.results.map((x) => x.data()));
    out.push({
      term: q.term,
      filters: q.filters || null,
      results: data.map((d) => ({
        url: d.url,
        title: d.meta && d.meta.title,
        meta: d.meta,
        filters: d.filters,
        excerpt: d.excerpt.replace(/<[^>]+>/g, ""),
        sub_results: (d.sub_results || []).map((s) => ({
          url: s.url,
          title: s.title,
          excerpt: s.excerpt.replace(/<[^>]+>/g, ""),
        })),
      })),
    });
  }
  return out;
}

const browser = await launch();
const foreign = [];
let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await sameOriginOnly(context, site, foreign);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const bundle = join(site, "pagefind/pagefind.js");
  const dutch = join(site, "js/kb-dutch.js");

  if (mode === "--measure" || mode === "--measure-header") {
    // The theme's own clients, as a reader uses them: the query typed into
    // the header box of a page, or the search page opened with ?q=.
    const header = mode === "--measure-header";
    const query = arg || "begeleiding";
    const fetched = [];
    const pagefindDir = new URL(join(site, "pagefind/")).pathname;
    const siteDir = new URL(join(site, "")).pathname;
    // Chromium reports no body size for a worker's script: its length then.
    context.on("requestfinished", async (req) => {
      const path = new URL(req.url()).pathname;
      if (!path.startsWith(pagefindDir) && !/\/js\/kb-[\w-]+\.js$/.test(path)) return;
      const sizes = await req.sizes().catch(() => null);
      const resp = await req.response().catch(() => null);
      const length = resp ? Number(resp.headers()["content-length"] || 0) : 0;
      const rel = path.startsWith(pagefindDir) ? path.slice(pagefindDir.length) : "../" + path.slice(siteDir.length);
      fetched.push({ path: rel, bytes: (sizes && sizes.responseBodySize) || length });
    });
    let status;
    if (header) {
      await page.goto(join(site, "404.html"));
      await page.fill("form.site-search input[name=q]", query);
      await page.waitForSelector("form.site-search [role=option]", { timeout: 60000 });
      await page.waitForFunction(() => document.querySelector("form.site-search [role=status]").textContent.trim() !== "");
      status = await page.textContent("form.site-search [role=status]");
    } else {
      await page.goto(join(site, `zoeken/?q=${encodeURIComponent(query)}`));
      await page.waitForSelector("#search-results li", { timeout: 60000 });
      await page.waitForFunction(() => /\d/.test(document.getElementById("search-status").textContent));
      status = await page.textContent("#search-status");
    }
    const shown = header
      ? await page.$$eval("form.site-search [role=option]:not(.is-sub)", (os) => os.length)
      : await page.$$eval("#search-results li", (ls) => ls.length);
    await page.waitForTimeout(500); // let requestfinished handlers settle
    const matches = Number((status.replace(/\./g, "").match(/\d+/) || ["0"])[0]);
    const files = fetched;
    const bytes = files.reduce((n, f) => n + f.bytes, 0);
    console.log(JSON.stringify({ query, shown, matches, status, bytes, files, foreign, errors }, null, 1));
  } else {
    const plan = JSON.parse(readFileSync(mode, "utf8"));
    // Any page of the site will do as the origin for the API calls.
    await page.goto(join(site, "404.html"));
    const engineResults = await page.evaluate(engine, { bundle, dutch, queries: plan.queries || [] });

    const ui = [];
    for (const path of plan.ui || []) {
      const resp = await page.goto(join(site, path));
      const shown = await page
        .waitForSelector("#search-results li", { timeout: 15000 })
        .then(() => true, () => false);
      const status = ((await page.textContent("#search-status").catch(() => "")) || "").trim();
      const links = await page.$$eval("#search-results li h2 a", (as) => as.map((a) => a.getAttribute("href")));
      const checked = await page.$$eval("#search-filter-groups input:checked", (bs) => bs.map((b) => `${b.name}=${b.value}`));
      const item = { path, http: resp ? resp.status() : 0, shown, status, links, checked };
      if (links.length) {
        const target = await page.goto(new URL(links[0], page.url()).href);
        item.first = {
          url: page.url(),
          http: target ? target.status() : 0,
          h1: ((await page.textContent("h1").catch(() => "")) || "").trim(),
        };
      }
      ui.push(item);
    }
    console.log(JSON.stringify({ engine: engineResults, ui, foreign, errors }, null, 1));
  }
  await context.close();
} catch (e) {
  console.error(e && e.stack ? e.stack : String(e));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
