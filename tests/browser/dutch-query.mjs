#!/usr/bin/env node
// The Dutch query keys in the theme's search UIs, on a built site of
// tests/fixtures/search-nl: node dutch-query.mjs <site-url> <cases.json>
// cases: [{box: "header"|"page", q, must: [url…], must_not: [url…], marks: [word…]}]
// - the header box and the search page search with kb-dutch.js keys, so
//   an inflected or half-typed word finds its pages and near-words do not;
// - result links carry the reader's words (?markeer=), not the keys, and
//   the result page marks every `marks` word.
import fs from "node:fs";
import { launch, join, sameOriginOnly } from "./lib.mjs";

const [site, casesFile] = process.argv.slice(2);
if (!site || !casesFile) {
  console.error("usage: node dutch-query.mjs <site-url> <cases.json>");
  process.exit(2);
}
const cases = JSON.parse(fs.readFileSync(casesFile, "utf8"));
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};
const base = new URL(site).pathname.replace(/\/$/, "");
const path = (u) => new URL(u, site).pathname.slice(base.length);

const browser = await launch();
const foreign = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await sameOriginOnly(context, site, foreign);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  for (const c of cases) {
    let links = [];
    if (c.box === "header") {
      await page.goto(join(site, "onderwerpen/"));
      await page.click("#site-search-q");
      await page.keyboard.type(c.q, { delay: 30 });
      await page.waitForSelector("#site-search-q-lijst [role=option]", { timeout: 15000 }).catch(() => {});
      await page.waitForTimeout(600); // the debounce, and the typed variant's merge
      links = await page.$$eval("#site-search-q-lijst [role=option]:not(.is-sub)", (os) => os.map((o) => o.dataset.url));
    } else {
      await page.goto(join(site, `zoeken/?q=${encodeURIComponent(c.q)}`));
      await page.waitForSelector("#search-results li a", { timeout: 15000 }).catch(() => {});
      links = await page.$$eval("#search-results li h2 a", (as) => as.map((a) => a.getAttribute("href")));
    }
    const top = links.slice(0, 5).map(path);
    const shown = top.map((u) => u.split("?")[0]).join(" ");
    for (const m of c.must) check(top.some((u) => u.startsWith(m)), `${c.box} '${c.q}' finds ${m} (${shown})`);
    for (const m of c.must_not) check(!top.some((u) => u.startsWith(m)), `${c.box} '${c.q}' does not find ${m} (${shown})`);
    const first = links.find((u) => path(u).startsWith(c.must[0]));
    if (!first) continue;
    const params = new URL(first, site).searchParams.getAll("markeer");
    check(JSON.stringify(params) === JSON.stringify(c.markeer), `${c.box} '${c.q}' links with markeer=${params.join(",")} (want ${c.markeer.join(",")})`);
    await page.goto(new URL(first, site).href);
    await page.waitForSelector("mark.markering", { timeout: 10000 }).catch(() => {});
    // The whole words the marks fall in (mark.js marks substrings).
    const marked = await page.$$eval("mark.markering", (ms) =>
      ms.map((m) => {
        const before = (m.previousSibling && m.previousSibling.textContent) || "";
        const after = (m.nextSibling && m.nextSibling.textContent) || "";
        return (before.match(/\p{L}*$/u)[0] + m.textContent + after.match(/^\p{L}*/u)[0]).toLowerCase();
      }),
    );
    for (const w of c.marks) check(marked.includes(w), `the page of '${c.q}' marks the word ${w} (${[...new Set(marked)].join(" ")})`);
  }
  check(errors.length === 0, `no JavaScript errors ${errors.join("; ")}`);
  await context.close();
} finally {
  await browser.close();
}
check(foreign.length === 0, `no request to another origin ${foreign.join(" ")}`);
if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log("all checks passed");
