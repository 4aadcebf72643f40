// Kennisbank live reload: injected by `kennisbank serve` only, never by build.
(function () {
  "use strict";
  var me = document.currentScript;
  var gen = (me && me.getAttribute("data-gen")) || "0";
  var inst = (me && me.getAttribute("data-inst")) || "";
  var key = "kennisbank-scroll:" + location.pathname;
  try {
    var saved = sessionStorage.getItem(key);
    if (saved !== null) {
      sessionStorage.removeItem(key);
      var pos = JSON.parse(saved);
      var restore = function () { window.scrollTo(pos[0], pos[1]); };
      restore();
      window.addEventListener("load", restore);
    }
  } catch (e) { /* private mode: no scroll memory */ }

  function reload() {
    try { sessionStorage.setItem(key, JSON.stringify([window.scrollX, window.scrollY])); } catch (e) {}
    location.reload();
  }
  function here() {
    var p = location.pathname;
    try { p = decodeURIComponent(p); } catch (e) {}
    return p.charAt(p.length - 1) === "/" ? p + "index.html" : p;
  }
  function swapStyles(paths) {
    var links = document.querySelectorAll('link[rel~="stylesheet"]');
    Array.prototype.forEach.call(links, function (l) {
      var u = new URL(l.href, location.href);
      if (u.origin !== location.origin || paths.indexOf(decodeURIComponent(u.pathname)) < 0) return;
      u.searchParams.set("kb-reload", String(Date.now()));
      var n = l.cloneNode();
      n.href = u.href;
      n.onload = n.onerror = function () { l.remove(); };
      l.parentNode.insertBefore(n, l.nextSibling);
    });
  }
  // The look comes from /__kennisbank/live.css (classes only): a strict
  // Content-Security-Policy blocks inline styles.
  function overlay(errors) {
    var old = document.getElementById("kennisbank-overlay");
    if (old) old.remove();
    if (!errors || !errors.length) return;
    var box = document.createElement("div");
    box.id = "kennisbank-overlay";
    box.setAttribute("role", "alert");
    var h = document.createElement("div");
    h.className = "kb-titel";
    h.textContent = "Kennisbank: de laatste wijziging bevat " + errors.length + (errors.length === 1 ? " fout" : " fouten") +
      " (u ziet de laatste goede versie)";
    box.appendChild(h);
    errors.forEach(function (d) {
      var p = document.createElement("div");
      p.className = "kb-regel";
      // A problem in no file (the search index, an internal error) has no place.
      var loc = d.file ? d.file + (d.line ? ":" + d.line + (d.column ? ":" + d.column : "") : "") + ": " : "";
      p.textContent = loc + d.message + (d.hint ? "\n  = hint: " + d.hint : "");
      box.appendChild(p);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", "Sluiten");
    close.className = "kb-sluiten";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(close);
    document.body.appendChild(box);
  }
  if (!window.EventSource) return;
  var es = new EventSource("/__kennisbank/events?path=" + encodeURIComponent(location.pathname) + "&gen=" + gen + "&inst=" + inst);
  es.addEventListener("reload", function (e) {
    var d = JSON.parse(e.data);
    if (d.all || (d.paths || []).indexOf(here()) >= 0) reload();
  });
  es.addEventListener("css", function (e) { swapStyles(JSON.parse(e.data).paths || []); });
  es.addEventListener("status", function (e) { overlay(JSON.parse(e.data).errors); });
})();
