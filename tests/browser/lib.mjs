// Shared helpers for the browser checks: launch Debian's Chromium through
// playwright-core (no downloaded browser builds), and read page lists.
import { chromium } from "playwright-core";
import { readFileSync, existsSync } from "node:fs";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

// Paths come as arguments; an argument "@file" reads one path per line from file.
export function readPaths(args) {
  const paths = [];
  for (const a of args) {
    if (a.startsWith("@")) {
      for (const line of readFileSync(a.slice(1), "utf8").split("\n")) {
        const p = line.trim();
        if (p && !p.startsWith("#")) paths.push(p);
      }
    } else {
      paths.push(a);
    }
  }
  return paths;
}

export function join(site, path) {
  return new URL(path.replace(/^\//, ""), site.endsWith("/") ? site : site + "/").href;
}

// Refuse any request that leaves the site's origin: the theme must be self-contained.
export async function sameOriginOnly(context, site, foreign) {
  const origin = new URL(site).origin;
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
    foreign.push(url);
    return route.abort();
  });
}
