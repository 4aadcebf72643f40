// Pagefind's search in its web worker, without loading pagefind.js on the
// page. pagefind.js (47 kB) holds the whole engine a second time, for a
// browser without workers; where the worker runs, the page only passes
// messages. So the header box and the search page start the worker
// themselves (pagefind-worker.js beside pagefind.js) and speak its message
// protocol (Pagefind 1.6: {id, instanceId, method, args} → {id, result |
// error}; a result's data is an id for "getData"). Without a worker, or when
// it fails, pagefind.js is imported and does everything (main thread).
// The search stays off the main thread: at 10,000 pages one keystroke's
// search takes 0.2–0.9 s, which on the main thread would stall typing.

const INSTANCE = "kb";

/**
 * Pagefind's API (options applied, initialised) for the bundle whose
 * pagefind.js is at `moduleUrl`: `search`, `debouncedSearch`, `preload`,
 * `filters`, results with an async `data()`.
 */
export async function open(moduleUrl, options = {}) {
  const url = new URL(moduleUrl, location.href);
  const basePath = url.href.replace(/[^/]*$/, "").replace(location.origin, "");
  let fallback = null;
  const mainThread = () =>
    (fallback ||= import(moduleUrl).then(async (pf) => {
      await pf.options(options);
      await pf.init();
      return pf;
    }));
  if (typeof Worker === "undefined") return mainThread();

  let worker;
  try {
    worker = new Worker(`${basePath}pagefind-worker.js`);
  } catch {
    return mainThread();
  }
  let seq = 0;
  const pending = new Map();
  const fail = (why) => {
    worker = null;
    for (const { reject } of pending.values()) reject(new Error(why));
    pending.clear();
  };
  worker.addEventListener("error", () => fail("Pagefind-worker mislukt"));
  worker.addEventListener("message", (e) => {
    const { id, result, error } = e.data || {};
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (error) p.reject(new Error(error));
    else p.resolve(result);
  });
  const post = (method, args) =>
    new Promise((resolve, reject) => {
      if (!worker) return reject(new Error("geen Pagefind-worker"));
      const id = `kb_${seq++}`;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, instanceId: INSTANCE, method, args });
    });
  // The worker keeps every result's data until told to let it go.
  const release =
    typeof FinalizationRegistry === "undefined"
      ? null
      : new FinalizationRegistry((dataId) => worker && post("releaseData", [dataId]).catch(() => {}));
  const withData = (res) => {
    for (const r of (res && res.results) || []) {
      if (typeof r.data !== "string") continue;
      const dataId = r.data;
      if (release) release.register(r, dataId);
      r.data = () => post("getData", [dataId]);
    }
    return res;
  };
  // A call goes to the worker while it works, else to pagefind.js.
  const call = async (method, args) => {
    if (worker) {
      try {
        const res = await post(method, args);
        return method === "search" || method === "debouncedSearch" ? withData(res) : res;
      } catch (err) {
        if (worker) throw err; // the worker answered with an error
      }
    }
    const pf = await mainThread();
    return pf[method](...args);
  };

  const language = (document.documentElement.getAttribute("lang") || "unknown").toLowerCase();
  try {
    await Promise.race([
      post("init", [{ ...options, basePath, language, primary: true }]),
      new Promise((_, reject) => setTimeout(() => reject(new Error("Pagefind-worker start niet")), 5000)),
    ]);
  } catch {
    if (worker) worker.terminate();
    fail("Pagefind-worker start niet");
    return mainThread();
  }
  return {
    search: (term, opts = {}) => call("search", [term, opts]),
    debouncedSearch: (term, opts = {}, ms = 300) => call("debouncedSearch", [term, opts, ms]),
    preload: (term, opts = {}) => call("preload", [term, opts]),
    filters: () => call("filters", []),
  };
}
