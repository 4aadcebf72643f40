// Kennisbank default theme: small progressive enhancements. The site works without it.
(function () {
  "use strict";
  var body = document.body;

  // Wide tables in content scroll sideways on narrow screens: wrap each in a
  // focusable, labelled region so keyboard users can scroll it too.
  var tables = document.querySelectorAll(".content table");
  for (var i = 0; i < tables.length; i++) {
    var table = tables[i];
    if (table.parentNode.classList.contains("table-wrap")) continue;
    var wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.setAttribute("role", "region");
    wrap.setAttribute("tabindex", "0");
    // Name the region after the caption, else after the heading above it; numbered
    // when a page has several tables, so each region has its own name.
    var caption = table.querySelector("caption");
    var name = caption ? caption.textContent : "";
    if (!name) {
      for (var h = table.previousElementSibling; h; h = h.previousElementSibling) {
        if (/^H[2-6]$/.test(h.nodeName)) { name = h.textContent; break; }
      }
    }
    var word = body.getAttribute("data-tabel") || "Tabel";
    if (tables.length > 1) word += " " + (i + 1);
    wrap.setAttribute("aria-label", name ? word + ": " + name.trim() : word);
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
  }

  // Task lists: Markdown gives a bare disabled checkbox; make the item's text its label.
  var boxes = document.querySelectorAll(".content li > input[type=checkbox]:first-child");
  for (var j = 0; j < boxes.length; j++) {
    var box = boxes[j];
    var label = document.createElement("label");
    box.parentNode.insertBefore(label, box);
    while (label.nextSibling && !/^(UL|OL|P|DIV|PRE|TABLE|BLOCKQUOTE)$/.test(label.nextSibling.nodeName || "")) {
      label.appendChild(label.nextSibling);
    }
  }

  // Collapsibles print open; the ones opened for printing close again after.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    var closed = document.querySelectorAll(".content details:not([open])");
    for (var k = 0; k < closed.length; k++) { closed[k].open = true; opened.push(closed[k]); }
  });
  window.addEventListener("afterprint", function () {
    while (opened.length) opened.pop().open = false;
  });

  // Coming from a search result (?markeer=term): highlight the term in the text
  // with Pagefind's highlighter, which ships with the search index.
  var script = body.getAttribute("data-markeer-js");
  if (script && /[?&]markeer=/.test(location.search) && document.querySelector("[data-pagefind-body]")) {
    import(script).then(function () {
      if (!window.PagefindHighlight) return;
      new window.PagefindHighlight({
        highlightParam: "markeer",
        addStyles: false,
        markOptions: { className: "markering", exclude: ["[data-pagefind-ignore]", "[data-pagefind-ignore] *"] }
      });
      // A hit inside a closed collapsible: open it, so the reader sees it.
      var marks = document.querySelectorAll("details:not([open]) mark.markering");
      for (var m = 0; m < marks.length; m++) {
        for (var d = marks[m].closest("details"); d; d = d.parentElement && d.parentElement.closest("details")) d.open = true;
      }
      var first = document.querySelector("mark.markering");
      if (first && !location.hash) first.scrollIntoView({ block: "center" });
    }).catch(function () { /* no search index: nothing to highlight */ });
  }
  // Section tree: a disclosure menu on small screens, closed until opened
  // (without this script it is always open).
  var nav = document.querySelector(".section-nav");
  var toggle = nav && nav.querySelector(".section-nav-toggle");
  if (toggle) {
    nav.classList.add("has-toggle", "is-collapsed");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("is-collapsed", !open);
    });
  }
})();
