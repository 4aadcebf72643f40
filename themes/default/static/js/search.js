// Search page of the Kennisbank default theme: a small UI on Pagefind's JS API.
// Results as you type, filter checkboxes with counts, query and filters kept in
// the URL (?q=taal&soort=conclusie) so a search can be shared. The query
// goes to Pagefind as the index's Dutch keys (kb-dutch.js).
// The analyser by its fingerprinted URL (data-analyser on the form), so new
// rules never meet an old cached copy; ./kb-dutch.js for a theme without it.
let dutch;
const analyser = (f) => (dutch ||= import(f.dataset.analyser || "./kb-dutch.js"));
// Pagefind in its worker, without pagefind.js on the page (kb-pagefind.js).
const client = (f) => import(f.dataset.client || "./kb-pagefind.js");

const form = document.getElementById("search-form");
const input = document.getElementById("search-q");
const statusEl = document.getElementById("search-status");
const list = document.getElementById("search-results");
const filterBox = document.getElementById("search-filters");
const groupsEl = document.getElementById("search-filter-groups");
const clearBtn = document.getElementById("search-clear");
const moreBtn = document.getElementById("search-more");
const T = JSON.parse(document.getElementById("search-strings").textContent);
const FILTERS = (form.dataset.filters || "").split(",").filter(Boolean);
// Fields a schema marks as badges ("veld=Label;…"), shown on each result.
const BADGES = (form.dataset.badges || "").split(";").filter(Boolean).map((b) => b.split("="));
const PAGE = 10;
const LANG = document.documentElement.lang;

let pagefind = null;
let facets = null; // loadFacets(): the counts without Pagefind's filter files
let results = [];
let shown = 0;
let run = 0;
let shownQuery = ""; // the reader's words of the results shown, to highlight

const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
const filterLabel = (name) => T["filter_" + name] || name;
const valueLabel = (name, value) => (name === "soort" && T["soort_" + value]) || value;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children) if (c != null) node.append(c);
  return node;
}

// ---- URL state -------------------------------------------------------------
function readUrl() {
  const params = new URLSearchParams(location.search);
  const selected = {};
  for (const name of FILTERS) {
    const values = params.getAll(name);
    if (values.length) selected[name] = values;
  }
  return { q: params.get("q") || "", selected };
}

function selectedFilters() {
  const selected = {};
  for (const box of groupsEl.querySelectorAll("input[type=checkbox]:checked")) {
    (selected[box.name] ||= []).push(box.value);
  }
  return selected;
}

function writeUrl(q, selected) {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  for (const name of FILTERS) for (const v of selected[name] || []) params.append(name, v);
  const qs = params.toString();
  history.replaceState(null, "", location.pathname + (qs ? "?" + qs : "") + location.hash);
}

// ---- Filters ---------------------------------------------------------------
function buildFilters(available, selected) {
  groupsEl.textContent = "";
  let any = false;
  for (const name of FILTERS) {
    const values = Object.keys(available[name] || {});
    if (!values.length) continue;
    any = true;
    values.sort((a, b) => valueLabel(name, a).localeCompare(valueLabel(name, b), document.documentElement.lang));
    const fs = el("fieldset", { className: "filter-group" }, el("legend", { textContent: filterLabel(name) }));
    values.forEach((value, i) => {
      const id = `f-${name}-${i}`;
      const box = el("input", { type: "checkbox", id, name, value });
      box.checked = (selected[name] || []).includes(value);
      const count = el("span", { className: "count" });
      count.dataset.filter = name;
      count.dataset.value = value;
      const label = el("label", { htmlFor: id }, valueLabel(name, value) + " ", count);
      fs.append(el("div", { className: "filter-option" }, box, label));
    });
    groupsEl.append(fs);
  }
  filterBox.hidden = !any;
  // Open on wide screens, or when the URL already filters; folded on phones so
  // the results come first.
  filterBox.open = Object.keys(selected).length > 0 || matchMedia("(min-width: 56rem)").matches;
}

// Show each option's count in the current results; options that would give
// nothing are hidden (unless checked or focused), and so are emptied groups.
function updateCounts(counts) {
  for (const span of groupsEl.querySelectorAll(".count")) {
    const n = (counts[span.dataset.filter] || {})[span.dataset.value] || 0;
    span.textContent = `(${n})`;
    const option = span.closest(".filter-option");
    const box = option.querySelector("input");
    option.hidden = n === 0 && !box.checked && document.activeElement !== box;
  }
  for (const fs of groupsEl.querySelectorAll("fieldset")) {
    fs.hidden = !fs.querySelector(".filter-option:not([hidden])");
  }
}

// ---- Facets ----------------------------------------------------------------
// The filter values by page (pagefind-entry.json's kb_facets: gzipped JSON,
// each value's pages as gaps in base-32 digits, the writer's put_gaps). A
// search with words is counted and filtered here, so it fetches none of
// Pagefind's filter files (60 kB at 10,000 pages against 17 kB); filters
// without words still go to Pagefind, which lists those pages.
const DIGIT = new Int8Array(128).fill(-1);
[..."0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_"].forEach((c, i) => (DIGIT[c.charCodeAt(0)] = i));

async function loadFacets(pagefindUrl) {
  if (typeof DecompressionStream === "undefined") return null;
  const base = new URL("./", new URL(pagefindUrl, location.href));
  const entry = await (await fetch(new URL("pagefind-entry.json", base), { cache: "no-cache" })).json();
  const name = entry.kb_facets;
  if (typeof name !== "string" || !/^[\w.-]+$/.test(name)) return null;
  const resp = await fetch(new URL(name, base));
  if (!resp.ok) return null;
  // Gzipped by the build; a host that decoded it on the way hands on JSON.
  const bytes = new Uint8Array(await resp.arrayBuffer());
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const body = gzipped ? new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")) : new Blob([bytes]).stream();
  const data = JSON.parse(await new Response(body).text());
  const out = { slots: data.slots, filters: {} };
  for (const [filter, values] of Object.entries(data.filters || {})) {
    const of = new Array(data.slots); // slot → indices of its values
    const names = [];
    const totals = {};
    values.forEach(([value, gaps], vi) => {
      names.push(value);
      let slot = -1;
      let n = 0;
      let count = 0;
      for (let i = 0; i < gaps.length; i++) {
        const d = DIGIT[gaps.charCodeAt(i)];
        if (d < 0) throw new Error("facetten onleesbaar");
        if (d >= 32) {
          n = n * 32 + d - 32;
          continue;
        }
        slot += n * 32 + d + 1;
        n = 0;
        (of[slot] ||= []).push(vi);
        count++;
      }
      totals[value] = count;
    });
    out.filters[filter] = { names, of, totals };
  }
  return out;
}

const facetTotals = (f) => Object.fromEntries(Object.entries(f.filters).map(([name, x]) => [name, x.totals]));

// A result's slot: its fragment's name ("1gw.pf_fragment?v=…") in base 36.
const slotOf = (id) => parseInt(String(id).split(".")[0], 36);

// The results with a selected value of every filter that has one (as
// Pagefind's {any: [...]}), and each value's count among them; null when a
// result is not in the facets (then Pagefind filters).
function facetFilter(f, found, selected) {
  const chosen = Object.entries(selected).map(([name, values]) => [f.filters[name], new Set(values)]);
  const counts = Object.fromEntries(Object.keys(f.filters).map((name) => [name, {}]));
  const kept = [];
  for (const r of found) {
    const slot = slotOf(r.id);
    if (!(slot >= 0 && slot < f.slots)) return null;
    if (!chosen.every(([x, vs]) => x && (x.of[slot] || []).some((vi) => vs.has(x.names[vi])))) continue;
    kept.push(r);
    for (const [name, x] of Object.entries(f.filters)) {
      for (const vi of x.of[slot] || []) counts[name][x.names[vi]] = (counts[name][x.names[vi]] || 0) + 1;
    }
  }
  return { results: kept, filters: counts };
}

// ---- Results ---------------------------------------------------------------
async function renderMore() {
  const slice = results.slice(shown, shown + PAGE);
  const myRun = run;
  const data = await Promise.all(slice.map((r) => r.data()));
  const { highlightUrl } = await analyser(form);
  if (myRun !== run) return;
  for (const d of data) {
    const title = (d.meta && d.meta.title) || d.url;
    const link = el("a", { href: highlightUrl(d.url, shownQuery, LANG), textContent: title });
    const meta = el("p", { className: "result-meta" });
    const soort = d.filters && d.filters.soort && d.filters.soort[0];
    if (soort) meta.append(el("span", { className: "kind", textContent: valueLabel("soort", soort) }));
    for (const [name, label] of BADGES) {
      const values = d.filters && d.filters[name];
      if (!values || !values.length) continue;
      meta.append(" ", el("span", { className: "badge", textContent: `${label}: ${values.join(", ")}` }));
    }
    const excerpt = el("p", { className: "result-excerpt" });
    excerpt.innerHTML = d.excerpt || ""; // Pagefind's excerpt: escaped text with <mark>
    list.append(el("li", { className: "result" }, el("h2", { className: "result-title" }, link), meta.childNodes.length ? meta : null, excerpt));
  }
  shown += slice.length;
  moreBtn.hidden = shown >= results.length;
}

function setStatus(text) {
  statusEl.textContent = text;
}

async function search({ immediate = false } = {}) {
  const q = input.value.trim();
  const selected = selectedFilters();
  writeUrl(q, selected);
  clearBtn.hidden = Object.keys(selected).length === 0;
  const myRun = ++run;
  if (!pagefind) return;
  if (!q && !Object.keys(selected).length) {
    results = [];
    shown = 0;
    list.textContent = "";
    moreBtn.hidden = true;
    updateCounts(facets ? facetTotals(facets) : await pagefind.filters());
    setStatus(T.zoek_leeg);
    return;
  }
  const filters = {};
  for (const [name, values] of Object.entries(selected)) filters[name] = { any: values };
  const term = q || null; // null: list every page that matches the filters
  const { search: searchKeys } = await analyser(form);
  const delay = immediate || !q ? 0 : 250;
  let res = await searchKeys(pagefind, term, LANG, facets && q ? {} : { filters }, delay);
  if (res !== null && facets && q) {
    res = facetFilter(facets, res.results, selected) || (await searchKeys(pagefind, term, LANG, { filters }));
  }
  if (res === null || myRun !== run) return; // a newer search took over
  shownQuery = q;
  results = res.results;
  shown = 0;
  list.textContent = "";
  updateCounts(res.filters || {});
  await renderMore();
  if (myRun !== run) return;
  const n = results.length;
  if (n === 0) {
    setStatus(q ? fmt(T.zoek_geen_resultaten, { q }) : T.zoek_geen_resultaten_filters);
  } else {
    const count = n === 1 ? T.zoek_resultaat_een : fmt(T.zoek_resultaten, { n });
    setStatus(q ? `${count} ${fmt(T.zoek_resultaten_voor, { q })}` : count);
  }
}

// ---- Wiring ----------------------------------------------------------------
form.addEventListener("submit", (e) => {
  e.preventDefault();
  search({ immediate: true });
});
input.addEventListener("input", () => search());
groupsEl.addEventListener("change", () => search({ immediate: true }));
clearBtn.addEventListener("click", () => {
  for (const box of groupsEl.querySelectorAll("input:checked")) box.checked = false;
  search({ immediate: true });
  input.focus();
});
moreBtn.addEventListener("click", async () => {
  const first = shown;
  await renderMore();
  const next = list.children[first];
  if (next) next.querySelector("a").focus();
});

async function start() {
  const state = readUrl();
  input.value = state.q;
  try {
    const { open } = await client(form);
    pagefind = await open(form.dataset.pagefind, { baseUrl: form.dataset.base || "/", highlightParam: "markeer" });
    facets = await loadFacets(form.dataset.pagefind).catch((err) => {
      console.warn("facetten:", err);
      return null;
    });
    buildFilters(facets ? facetTotals(facets) : await pagefind.filters(), state.selected);
  } catch (err) {
    pagefind = null;
    setStatus(T.zoek_fout);
    console.error(err);
    return;
  }
  await search({ immediate: true });
}

start();
