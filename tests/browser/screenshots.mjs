#!/usr/bin/env node
// Screenshots for a visual check: node screenshots.mjs <site-url> <out-dir> [pilot-path]
// Writes home, a pilot page and search results (?q=taal) at 375 px and 1280 px
// (full page, light scheme), plus the pilot page in dark scheme, as PNG files.
// Without pilot-path the first pilot in the pilots overview (/pilots/) is used.
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { launch, join, sameOriginOnly } from "./lib.mjs";

const [site, outDir, pilotArg] = process.argv.slice(2);
if (!site || !outDir) {
  console.error("usage: node screenshots.mjs <site-url> <out-dir> [pilot-path]");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const WIDTHS = [375, 1280];
const browser = await launch();
const foreign = [];
let failed = false;
try {
  let pilot = pilotArg;
  if (!pilot) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(join(site, "pilots/"));
    pilot = await page.evaluate(() => {
      const a = document.querySelector(".section-table tbody a, main .cards a");
      return a ? new URL(a.href).pathname : null;
    });
    await context.close();
    if (!pilot) {
      console.error("no pilot page found on /pilots/; pass its path as third argument");
      pilot = "pilots/";
    }
  }
  const shots = [
    ["home", ""],
    ["pilot", pilot],
    ["zoeken-taal", "zoeken/?q=taal"],
  ];
  const runs = WIDTHS.map((w) => ({ width: w, scheme: "light" })).concat([{ width: 1280, scheme: "dark", only: "pilot" }]);
  for (const run of runs) {
    const context = await browser.newContext({ viewport: { width: run.width, height: 900 }, colorScheme: run.scheme, deviceScaleFactor: 1 });
    await sameOriginOnly(context, site, foreign);
    const page = await context.newPage();
    page.on("pageerror", (e) => {
      console.error(`JavaScript error: ${e}`);
      failed = true;
    });
    for (const [name, path] of shots) {
      if (run.only && run.only !== name) continue;
      await page.goto(join(site, path), { waitUntil: "load" });
      await page.waitForLoadState("networkidle", { timeout: 5000 }).catch(() => {});
      if (name.startsWith("zoeken")) {
        await page.waitForSelector("#search-results li", { timeout: 10000 }).catch(() => {
          console.error("search page showed no results for ?q=taal");
          failed = true;
        });
      }
      const file = resolve(outDir, `${name}-${run.width}${run.scheme === "dark" ? "-dark" : ""}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) {
        console.error(`${name} at ${run.width}px: page is ${overflow}px wider than the viewport`);
        failed = true;
      }
      console.log(file);
    }
    await context.close();
  }
} finally {
  await browser.close();
}
for (const url of [...new Set(foreign)]) {
  console.error(`request to another origin: ${url}`);
  failed = true;
}
process.exit(failed ? 1 : 0);
