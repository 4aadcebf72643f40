#!/usr/bin/env node
// Runs judged queries through each site's own Pagefind bundle in Chromium,
// the way the browser does, and prints the ranked results as JSON.
//
//   node search-quality.mjs <plan.json> <out.json>
//     plan: {"sites": [{"name": "nl", "url": "http://127.0.0.1:PORT/",
//                       "queries": ["beleid", ...]}], "depth": 10}
//     writes to out.json (a file: stdout is cut short by process.exit) {"sites": {"nl": [{"q": "beleid", "total": N,
//              "results": [{"url", "title", "excerpt", "sub_results": [...]}]}]},
//             "foreign": [...], "errors": [...]}
//
// kb-bench search-quality scores the output against bench/search-quality/queries.yaml.
import { readFileSync, writeFileSync } from "node:fs";
import { launch, join, sameOriginOnly } from "./lib.mjs";

const [planFile, outFile] = process.argv.slice(2);
if (!planFile || !outFile) {
  console.error("usage: node search-quality.mjs <plan.json> <out.json>");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planFile, "utf8"));
const depth = plan.depth || 10;

// In the page: the bundle the build wrote, with the options the theme sets,
// and the query turned into the index's keys as the theme's search.js does
// (kb-dutch.js); a theme without it searches with the words as typed.
async function run({ bundle, base, kbDutch, queries, depth }) {
  const pf = await import(bundle);
  await pf.options({ baseUrl: base });
  await pf.init();
  let kb = null;
  try {
    kb = await import(kbDutch);
  } catch {
    kb = null;
  }
  const lang = document.documentElement.lang || "nl";
  const out = [];
  for (const q of queries) {
    const r = kb ? await kb.search(pf, q, lang) : await pf.search(q);
    const data = await Promise.all(r.results.slice(0, depth).map((x) => x.data()));
    out.push({
      q,
      total: r.results.length,
      results: data.map((d) => ({
        url: d.url,
        title: d.meta && d.meta.title,
        excerpt: d.excerpt.replace(/<[^>]+>/g, ""),
        sub_results: (d.sub_results || []).slice(0, 3).map((s) => ({ url: s.url, title: s.title })),
      })),
    });
  }
  return out;
}

const browser = await launch();
const foreign = [];
const errors = [];
let exitCode = 0;
const sites = {};
try {
  for (const site of plan.sites) {
    const context = await browser.newContext();
    await sameOriginOnly(context, site.url, foreign);
    const page = await context.newPage();
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(join(site.url, "404.html"));
    const base = new URL(site.url).pathname;
    sites[site.name] = await page.evaluate(run, {
      bundle: join(site.url, "pagefind/pagefind.js"),
      base,
      kbDutch: join(site.url, "js/kb-dutch.js"),
      queries: site.queries,
      depth,
    });
    await context.close();
  }
  writeFileSync(outFile, JSON.stringify({ sites, foreign, errors }));
} catch (e) {
  console.error(e && e.stack ? e.stack : String(e));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
