// Live reload in a real browser (driven by tests/serve.rs):
//   node reload.mjs SITE_URL PAGE_PATH MARKDOWN_FILE STYLESHEET_FILE
// Opens the page, scrolls, edits the Markdown: the page must reload by
// itself and come back at the same scroll position. Then changes the
// stylesheet: it must apply without a reload. Then breaks the front matter:
// the error overlay must appear (and go once fixed). Prints "ok" or throws.
import { readFileSync, writeFileSync } from "node:fs";
import { launch, join } from "./lib.mjs";

const [site, pagePath, mdFile, cssFile] = process.argv.slice(2);
const browser = await launch();
const fail = (msg) => { throw new Error(msg); };
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(join(site, pagePath), { waitUntil: "load" });
  // Give the event stream a moment to connect.
  await page.waitForTimeout(500);

  // 1. A save reloads the open page and keeps the scroll position.
  await page.evaluate(() => window.scrollTo(0, 700));
  await page.waitForTimeout(100);
  const y0 = await page.evaluate(() => window.scrollY);
  if (y0 < 600) fail(`page too short to scroll (scrollY ${y0})`);
  const md = readFileSync(mdFile, "utf8");
  const reloaded = page.waitForEvent("load", { timeout: 10000 });
  writeFileSync(mdFile, md.replace("Eerste versie", "Browserversie"));
  await reloaded;
  await page.waitForFunction(() => document.body.innerText.includes("Browserversie"), null, { timeout: 10000 });
  await page.waitForTimeout(200);
  const y1 = await page.evaluate(() => window.scrollY);
  if (Math.abs(y1 - y0) > 5) fail(`scroll position not kept: ${y0} -> ${y1}`);

  // 2. A stylesheet change applies without a reload.
  await page.evaluate(() => { window.__kbMarker = 42; });
  writeFileSync(cssFile, readFileSync(cssFile, "utf8") + "\nbody { background-color: rgb(1, 2, 3); }\n");
  await page.waitForFunction(() => getComputedStyle(document.body).backgroundColor === "rgb(1, 2, 3)", null, { timeout: 10000 });
  if ((await page.evaluate(() => window.__kbMarker)) !== 42) fail("the page reloaded for a CSS change");

  // 3. An error shows the overlay over the page (escaped), fixing it clears it.
  const good = readFileSync(mdFile, "utf8");
  writeFileSync(mdFile, good.replace("title: ", "title: [<b>kapot</b>\n  x: "));
  await page.waitForSelector("#kennisbank-overlay", { timeout: 10000 });
  const text = await page.textContent("#kennisbank-overlay");
  if (!text.includes("content/pilots/alfa.md")) fail(`overlay without the file: ${text}`);
  if ((await page.$$("#kennisbank-overlay b")).length) fail("overlay text not escaped");
  if (!(await page.evaluate(() => document.body.innerText.includes("Browserversie")))) fail("last good page not shown");
  writeFileSync(mdFile, good);
  await page.waitForSelector("#kennisbank-overlay", { state: "detached", timeout: 10000 });
  console.log("ok");
} finally {
  await browser.close();
}
