// Checks themes/default/static/js/kb-dutch.js against the shared test vectors
// (tests/fixtures/dutch/vectors.tsv), which tests/dutch.rs checks against
// src/search/dutch.rs: the browser must make the same keys as the index.
//
//   node tests/browser/dutch-vectors.mjs                 check, print a summary
//   node tests/browser/dutch-vectors.mjs --derive DIR…   print a `word` row for
//        every distinct word in the Markdown under DIR (to refresh the file)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { normalise, stem, queryKeys, queryVariants, highlightTerms } = await import(
  path.join(repo, "themes/default/static/js/kb-dutch.js")
);

function markdown(dir, out = []) {
  for (const f of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, f);
    if (fs.statSync(p).isDirectory()) markdown(p, out);
    else if (p.endsWith(".md")) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
if (args[0] === "--derive") {
  const seen = new Set();
  for (const dir of args.slice(1)) {
    for (const f of markdown(dir)) {
      for (const m of fs.readFileSync(f, "utf8").matchAll(/\p{L}+(?:['’]\p{L}+)*/gu)) {
        const n = normalise(m[0]);
        if (n.length < 2 || seen.has(n)) continue;
        seen.add(n);
        console.log(["word", m[0], n, stem(n)].join("\t"));
      }
    }
  }
  process.exit(0);
}

const file = path.join(repo, "tests/fixtures/dutch/vectors.tsv");
const failures = [];
const counts = {};
const key = (w) => stem(normalise(w));
for (const [i, line] of fs.readFileSync(file, "utf8").split("\n").entries()) {
  if (!line.trim() || line.startsWith("#")) continue;
  const [kind, ...f] = line.split("\t");
  const at = `vectors.tsv:${i + 1}`;
  counts[kind] = (counts[kind] || 0) + 1;
  if (kind === "word") {
    const [word, normalised, k] = f;
    if (normalise(word) !== normalised) failures.push(`${at}: normalise(${word}) = ${normalise(word)}, expected ${normalised}`);
    if (stem(normalised) !== k) failures.push(`${at}: stem(${normalised}) = ${stem(normalised)}, expected ${k}`);
  } else if (kind === "same") {
    if (key(f[0]) !== key(f[1])) failures.push(`${at}: ${f[0]} (${key(f[0])}) and ${f[1]} (${key(f[1])}) should share a key`);
  } else if (kind === "differ") {
    if (key(f[0]) === key(f[1])) failures.push(`${at}: ${f[0]} and ${f[1]} share the key ${key(f[0])}`);
  } else if (kind === "query") {
    // query, language, keys, variant (or -), highlight terms (space-separated)
    const [q, lang, keys, variant, terms] = f;
    const vs = queryVariants(q, lang);
    if (queryKeys(q, lang) !== keys) failures.push(`${at}: queryKeys(${q}) = ${queryKeys(q, lang)}, expected ${keys}`);
    if ((vs[1] || "-") !== variant) failures.push(`${at}: variant of ${q} = ${vs[1] || "-"}, expected ${variant}`);
    if (highlightTerms(q, lang).join(" ") !== terms) failures.push(`${at}: highlightTerms(${q}) = ${highlightTerms(q, lang).join(" ")}, expected ${terms}`);
  } else if (kind !== "compound") {
    failures.push(`${at}: unknown kind ${kind}`);
  }
}
console.log(JSON.stringify(counts));
if (failures.length) {
  console.error(failures.join("\n"));
  process.exit(1);
}
