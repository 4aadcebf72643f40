// Search as you type in the header of every page: the ARIA 1.2 combobox
// pattern (input role=combobox, a listbox of the top results with their
// section, excerpt and sub-results), the result count in one live region,
// and `/` to focus the box. Without JavaScript the form submits to the
// search page. Pagefind loads on first focus or input, so pages stay light.
// The query goes to Pagefind as the index's Dutch keys (kb-dutch.js).
// The analyser by its fingerprinted URL (data-analyser on the form), so new
// rules never meet an old cached copy; ./kb-dutch.js for a theme without it.
let dutch;
const analyser = (f) => (dutch ||= import(f.dataset.analyser || "./kb-dutch.js"));
// Pagefind in its worker, without pagefind.js on the page (kb-pagefind.js).
const client = (f) => import(f.dataset.client || "./kb-pagefind.js");

const form = document.querySelector("form.site-search[data-pagefind]");
if (form) setUp(form);

function setUp(form) {
  const input = form.querySelector("input[name=q]");
  const SHOWN = 5;
  const SUBS = 2;
  const id = input.id;
  const popup = el("div", { className: "header-search-popup", hidden: true });
  const list = el("ul", { id: `${id}-lijst`, className: "header-search-list" });
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", form.dataset.lijst || input.placeholder);
  const more = el("a", { className: "header-search-more", textContent: form.dataset.meer });
  popup.append(list, more);
  // The one live region: the count, never the list itself.
  const status = el("p", { id: `${id}-status`, className: "visually-hidden" });
  status.setAttribute("role", "status");
  form.append(popup, status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);

  let pagefind = null;
  let run = 0;
  let active = -1;

  const fmt = (s, vars) => (s || "").replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  const options = () => [...list.querySelectorAll("[role=option]")];

  function load() {
    pagefind ||= client(form).then((c) =>
      c.open(form.dataset.pagefind, { baseUrl: form.dataset.base || "/", highlightParam: "markeer" }),
    );
    return pagefind;
  }

  function open(yes) {
    popup.hidden = !yes;
    input.setAttribute("aria-expanded", String(yes));
    if (!yes) activate(-1);
  }

  function activate(i) {
    const opts = options();
    opts.forEach((o, n) => o.setAttribute("aria-selected", String(n === i)));
    active = i;
    if (i < 0 || !opts[i]) {
      input.removeAttribute("aria-activedescendant");
      active = -1;
      return;
    }
    input.setAttribute("aria-activedescendant", opts[i].id);
    opts[i].scrollIntoView({ block: "nearest" });
  }

  function option(url, className, ...children) {
    const li = el("li", { className, id: `${id}-optie-${list.children.length}` }, ...children);
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", "false");
    li.dataset.url = url;
    return li;
  }

  const lang = document.documentElement.lang;

  async function search() {
    const q = input.value.trim();
    const myRun = ++run;
    if (!q) {
      list.textContent = "";
      status.textContent = "";
      open(false);
      return;
    }
    let pf;
    try {
      pf = await load();
    } catch (err) {
      console.error(err);
      return; // the form still submits to the search page
    }
    const { search: searchKeys, highlightUrl } = await analyser(form);
    const res = await searchKeys(pf, q, lang, {}, 150);
    if (res === null || myRun !== run) return; // a newer search took over
    const data = await Promise.all(res.results.slice(0, SHOWN).map((r) => r.data()));
    if (myRun !== run) return;
    list.textContent = "";
    for (const d of data) {
      const title = el("span", { className: "header-search-title", textContent: (d.meta && d.meta.title) || d.url });
      const section = d.meta && d.meta.section ? el("span", { className: "header-search-section", textContent: d.meta.section }) : null;
      const excerpt = el("span", { className: "header-search-excerpt" });
      excerpt.innerHTML = d.excerpt || ""; // Pagefind's excerpt: escaped text with <mark>
      list.append(option(highlightUrl(d.url, q, lang), "header-search-option", title, section, excerpt));
      for (const sub of (d.sub_results || []).filter((s) => s.url.includes("#")).slice(0, SUBS)) {
        list.append(option(highlightUrl(sub.url, q, lang), "header-search-option is-sub", el("span", { className: "header-search-title", textContent: sub.title })));
      }
    }
    const n = res.results.length;
    more.href = `${form.action}?q=${encodeURIComponent(q)}`;
    more.hidden = n === 0;
    status.textContent = n === 0 ? fmt(form.dataset.geen, { q }) : n === 1 ? form.dataset.een : fmt(form.dataset.n, { n });
    activate(-1);
    open(n > 0);
  }

  function go(i) {
    const o = options()[i];
    if (o) location.href = o.dataset.url;
  }

  input.addEventListener("focus", () => {
    load().catch(() => {});
    if (list.children.length && input.value.trim()) open(true);
  });
  input.addEventListener("input", search);
  input.addEventListener("keydown", (e) => {
    const n = options().length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      e.preventDefault();
      open(true);
      const step = e.key === "ArrowDown" ? 1 : -1;
      activate(active < 0 ? (step > 0 ? 0 : n - 1) : (active + step + n) % n);
    } else if (e.key === "Enter" && active >= 0 && !popup.hidden) {
      e.preventDefault();
      go(active);
    } else if (e.key === "Escape") {
      if (!popup.hidden) {
        e.preventDefault();
        open(false);
      } else if (input.value) {
        input.value = "";
        search();
      }
    }
  });
  // Pointer: keep the focus in the box, then follow the option.
  list.addEventListener("mousedown", (e) => e.preventDefault());
  list.addEventListener("click", (e) => {
    const o = e.target.closest("[role=option]");
    if (o) go(options().indexOf(o));
  });
  form.addEventListener("focusout", (e) => {
    if (!form.contains(e.relatedTarget)) open(false);
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
    e.preventDefault();
    input.focus();
  });
}

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const c of children) if (c != null) node.append(c);
  return node;
}
