#!/usr/bin/env node
// Accessibility check: node axe.mjs <site-url> <path>... [@paths-file]
// Runs axe-core (WCAG 2.0/2.1/2.2 A and AA) on every page, in light and in dark
// colour scheme, prints every violation and exits 1 if there is any. Requests
// to other origins are blocked and reported as failures too.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launch, readPaths, join, sameOriginOnly } from "./lib.mjs";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const TAGS = (process.env.AXE_TAGS || "wcag2a,wcag2aa,wcag21a,wcag21aa,wcag22aa").split(",");
const SCHEMES = (process.env.AXE_SCHEMES || "light,dark").split(",");

const [site, ...rest] = process.argv.slice(2);
const paths = readPaths(rest);
if (!site || paths.length === 0) {
  console.error("usage: node axe.mjs <site-url> <path>... (or @file with one path per line)");
  process.exit(2);
}

const browser = await launch();
let violations = 0;
let checked = 0;
const foreign = [];
try {
  for (const scheme of SCHEMES) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 } });
    await sameOriginOnly(context, site, foreign);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    for (const path of paths) {
      const url = join(site, path);
      errors.length = 0;
      const resp = await page.goto(url, { waitUntil: "load" });
      if (!resp || (resp.status() >= 400 && !path.includes("404"))) {
        console.log(`FAIL ${path} [${scheme}]: HTTP ${resp ? resp.status() : "no response"}`);
        violations++;
        continue;
      }
      // Let scripts (search results, table wrapping) settle.
      await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
      if (await page.$("#search-form")) {
        await page.waitForFunction(() => document.getElementById("search-status").textContent.trim() !== "", null, { timeout: 10000 }).catch(() => {});
      }
      await page.addScriptTag({ content: AXE_SOURCE });
      const result = await page.evaluate(async (tags) => {
        // eslint-disable-next-line no-undef
        const r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary, html: n.html.slice(0, 200) })),
        }));
      }, TAGS);
      checked++;
      for (const e of errors) {
        console.log(`FAIL ${path} [${scheme}]: JavaScript error: ${e}`);
        violations++;
      }
      if (result.length === 0) continue;
      for (const v of result) {
        violations += v.nodes.length;
        console.log(`FAIL ${path} [${scheme}]: ${v.id} (${v.impact}) ${v.help}`);
        for (const n of v.nodes.slice(0, 10)) {
          console.log(`    ${n.target}\n      ${n.html}\n      ${(n.summary || "").replace(/\n/g, "\n      ")}`);
        }
        if (v.nodes.length > 10) console.log(`    … and ${v.nodes.length - 10} more`);
      }
    }
    await context.close();
  }
} finally {
  await browser.close();
}

for (const url of [...new Set(foreign)]) {
  console.log(`FAIL request to another origin: ${url}`);
  violations++;
}
console.log(`axe: ${checked} page checks (${paths.length} pages × ${SCHEMES.join("+")}), ${violations} violations`);
process.exit(violations === 0 ? 0 : 1);
