#!/usr/bin/env node
// Serve's overlay and writing panel under a strict Content-Security-Policy
// (driven by tests/security.rs): node serve-csp.mjs SITE_URL PAGE_PATH MARKDOWN_FILE
// The site has `security.csp: true`, so every page carries the policy as a
// <meta>. Opens the page (the writing panel must be styled), breaks the
// Markdown file's front matter (live.js must draw the overlay, styled),
// reloads (the server draws it), fixes the file (it must go). Every
// `securitypolicyviolation` is collected. Prints one JSON object.
import { readFileSync, writeFileSync } from "node:fs";
import { launch, join } from "./lib.mjs";

const [site, pagePath, mdFile] = process.argv.slice(2);
const browser = await launch();
const result = { meta: false, panel: null, overlayLive: null, overlayServed: null, cleared: false, violations: [], errors: [] };
// How the box looks: "fixed" only if live.css was applied.
const look = (sel) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const s = getComputedStyle(el);
  return { position: s.position, background: s.backgroundColor, text: el.textContent.slice(0, 300) };
};
const good = readFileSync(mdFile, "utf8");
try {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  await context.addInitScript(() => {
    window.__kbViolations = [];
    document.addEventListener("securitypolicyviolation",
      (e) => window.__kbViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample || ""}`.trim()), true);
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => result.errors.push(String(e)));
  page.on("console", (m) => { if (/Content Security Policy/i.test(m.text())) result.violations.push(`console: ${m.text()}`); });
  const collect = async () => { result.violations.push(...(await page.evaluate(() => window.__kbViolations.splice(0)))); };

  await page.goto(join(site, pagePath), { waitUntil: "load" });
  result.meta = await page.evaluate(() => !!document.querySelector('meta[http-equiv="Content-Security-Policy"]'));
  await page.waitForTimeout(500); // the event stream connects
  result.panel = await page.evaluate(look, "#kennisbank-schrijftips");
  await collect();

  // Broken front matter: the status event makes live.js draw the overlay.
  writeFileSync(mdFile, good.replace("title: ", "title: [<b>kapot</b>\n  x: "));
  await page.waitForSelector("#kennisbank-overlay", { timeout: 15000 });
  await page.waitForTimeout(200);
  result.overlayLive = await page.evaluate(look, "#kennisbank-overlay");
  await collect();

  // Loaded while broken: the server drew it into the page.
  await page.reload({ waitUntil: "load" });
  await page.waitForTimeout(300);
  result.overlayServed = await page.evaluate(look, "#kennisbank-overlay");
  await collect();

  writeFileSync(mdFile, good);
  await page.waitForSelector("#kennisbank-overlay", { state: "detached", timeout: 15000 });
  result.cleared = true;
  await collect();
} catch (e) {
  result.errors.push(String(e));
} finally {
  writeFileSync(mdFile, good);
  await browser.close();
}
console.log(JSON.stringify(result));
