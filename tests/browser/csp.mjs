#!/usr/bin/env node
// Loads pages of a built site in headless Chromium and reports whether any of
// them runs script it should not: node csp.mjs <site-url> <plan.json>
//
// plan: { "pages": ["/", "/a/"], "policy": "default-src 'self'; …",
//         "search": "zoeken/?q=taal" (optional) }
//
// Every page is loaded twice:
// - "csp": each response carries the policy as a Content-Security-Policy
//   header (added here, so any static server will do); every
//   `securitypolicyviolation` event is reported;
// - "open": no policy at all (bypassCSP), so script that slipped into the
//   page would really run.
// In both, a dialog (alert, confirm, prompt) or `window.__pwned` being set (the
// canary the hostile inputs try to set) is reported, and the DOM is audited:
// event-handler or style attributes, script-running URLs (javascript:,
// vbscript:, file:, data: other than raster images), frames, objects, forms,
// <base>, inline <script> or <style> (a <form> is judged by its action URL). Synthetic events are fired at every
// element so that handlers which are there would run.
// Prints one JSON object on stdout.
import { launch, join } from "./lib.mjs";
import { readFileSync } from "node:fs";

const [site, planFile] = process.argv.slice(2);
if (!site || !planFile) {
  console.error("usage: node csp.mjs <site-url> <plan.json>");
  process.exit(2);
}
const plan = JSON.parse(readFileSync(planFile, "utf8"));
const origin = new URL(site).origin;

// Runs in the page before any of its own script.
function watch() {
  window.__kbViolations = [];
  document.addEventListener(
    "securitypolicyviolation",
    (e) => window.__kbViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber} ${e.sample || ""}`.trim()),
    true,
  );
}

// Runs in the loaded page: what in the DOM could run script.
function audit() {
  const bad = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite", "ping", "srcset"];
  const rasterData = /^data:image\/(png|gif|jpeg|webp);base64,/i;
  const refused = (el, value) => {
    let proto = "";
    try { proto = new URL(value.trim(), location.href).protocol; } catch (e) { return false; }
    if (["javascript:", "vbscript:", "file:"].includes(proto)) return true;
    return proto === "data:" && !(el.tagName === "IMG" && rasterData.test(value.trim()));
  };
  for (const el of document.querySelectorAll("*")) {
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith("on")) bad.push(`<${el.localName} ${name}>`);
      if (name === "style") bad.push(`<${el.localName} style>`);
      if (name === "srcdoc") bad.push(`<${el.localName} srcdoc>`);
      if (urlAttrs.includes(name) && refused(el, a.value)) bad.push(`<${el.localName} ${name}="${a.value.slice(0, 60)}">`);
    }
    const tag = el.localName;
    if (["iframe", "frame", "object", "embed", "base", "applet"].includes(tag)) bad.push(`<${tag}>`);
    if (tag === "style") bad.push("<style> element");
    if (tag === "script") {
      const data = (el.type || "").toLowerCase() === "application/json";
      const own = el.src && new URL(el.src, location.href).origin === location.origin;
      if (!data && !own) bad.push(`<script> ${el.src || "inline: " + el.textContent.slice(0, 60)}`);
    }
    if (tag === "meta" && /refresh/i.test(el.httpEquiv)) {
      const m = /url\s*=\s*(.*)$/i.exec(el.content || "");
      if (m && refused(el, m[1].replace(/^['"]|['"]$/g, ""))) bad.push(`<meta refresh ${m[1].slice(0, 60)}>`);
    }
  }
  return bad;
}

// Fires events at every element, so inline handlers that survived would run.
function provoke() {
  const types = ["mouseover", "mouseenter", "mousemove", "pointerover", "focus", "focusin", "blur", "toggle",
    "load", "error", "animationstart", "transitionend", "start", "input", "change", "scroll", "wheel"];
  for (const el of document.querySelectorAll("body *")) {
    for (const t of types) {
      try { el.dispatchEvent(new Event(t)); } catch (e) { /* some refuse */ }
    }
  }
}

// A canary set by script (an element with id="__pwned" is not script).
function canary() {
  const v = window.__pwned;
  if (v === undefined) return false;
  return !(v instanceof Element || v instanceof HTMLCollection);
}

const browser = await launch();
const result = { modes: {}, foreign: [] };
try {
  for (const mode of ["csp", "open"]) {
    const context = await browser.newContext({ bypassCSP: mode === "open", viewport: { width: 1280, height: 900 } });
    await context.addInitScript(watch);
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (!url.startsWith(origin)) {
        result.foreign.push(url);
        return route.abort();
      }
      if (mode !== "csp" || !plan.policy) return route.continue();
      const response = await route.fetch();
      const headers = { ...response.headers(), "content-security-policy": plan.policy };
      return route.fulfill({ response, headers });
    });
    const page = await context.newPage();
    let dialogs = [];
    let errors = [];
    page.on("dialog", (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
    page.on("pageerror", (e) => errors.push(String(e)));
    const pages = [];
    for (const path of plan.pages) {
      dialogs = [];
      errors = [];
      const response = await page.goto(join(site, path), { waitUntil: "load" }).catch((e) => ({ status: () => String(e) }));
      await page.waitForTimeout(50);
      const dom = await page.evaluate(audit).catch((e) => [`audit failed: ${e}`]);
      await page.evaluate(provoke).catch(() => {});
      await page.waitForTimeout(50);
      const seen = await page.evaluate(() => ({ violations: window.__kbViolations || [], url: location.href })).catch(() => ({ violations: [], url: "" }));
      pages.push({
        path,
        http: response ? response.status() : null,
        url: seen.url,
        violations: seen.violations,
        dialogs,
        pwned: await page.evaluate(canary).catch(() => false),
        dangerous: dom,
        errors,
      });
    }
    let search = null;
    if (plan.search) {
      dialogs = [];
      await page.goto(join(site, plan.search), { waitUntil: "load" });
      const shown = await page.waitForSelector("#search-results li", { timeout: 15000 }).then(() => true, () => false);
      await page.waitForTimeout(200);
      search = {
        path: plan.search,
        shown,
        results: await page.$$eval("#search-results li", (l) => l.length),
        violations: await page.evaluate(() => window.__kbViolations || []),
        dialogs,
        pwned: await page.evaluate(canary),
        errors,
      };
    }
    result.modes[mode] = { pages, search };
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
