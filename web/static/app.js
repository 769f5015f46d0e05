// Dukan UI behaviour, kept small: htmx settings, the navigation's groups and drawer,
// selects that submit on change, closing flash messages and copying invite links; for the
// catalog and stock pages, repeated form rows, the document lines' product picker and the
// price that follows the markup; the till's barcode scanner.
// No inline scripts anywhere: the CSP allows only scripts from this server.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  if (window.htmx) {
    htmx.config.allowEval = false;
    htmx.config.allowScriptTags = false;
    htmx.config.includeIndicatorStyles = false;
    // Pages hold one user's data (and invite links shown once): do not keep copies in
    // localStorage; going back reloads the page from the server.
    htmx.config.historyCacheSize = 0;
    htmx.config.refreshOnHistoryMiss = true;
    // A rejected form comes back as the whole page with field messages (422, 401, 429);
    // other errors come as a flash fragment the server retargets to #flash. Both swap.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
      { code: "...", swap: false }
    ];
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var menu = target.closest(".menu-btn");
    if (menu) {
      var nav = document.getElementById("nav");
      if (nav) {
        var bar = menu.closest(".topbar");
        if (bar) nav.style.top = Math.max(0, bar.getBoundingClientRect().bottom) + "px";
        var open = nav.classList.toggle("open");
        menu.setAttribute("aria-expanded", open ? "true" : "false");
      }
      return;
    }
    // A tap outside the open drawer closes it.
    var drawer = document.querySelector("#nav.open");
    if (drawer && !drawer.contains(target)) closeDrawer();
    var close = target.closest(".flash-close");
    if (close) {
      var flash = close.closest(".flash");
      if (flash) flash.remove();
      return;
    }
    var copy = target.closest("[data-copy]");
    if (copy) {
      var field = document.querySelector(copy.getAttribute("data-copy"));
      if (field) {
        field.select();
        if (navigator.clipboard) navigator.clipboard.writeText(field.value);
        else document.execCommand("copy");
      }
    }
  });

  // ---- the navigation: every group open in the sidebar; in the narrow drawer only the
  // current page's group, so the list fits a phone. The server renders them all open (the
  // page without JavaScript), and a boosted page change swaps in a fresh navigation, folded
  // here in the same task as the swap, before it is painted.
  var narrow = window.matchMedia ? window.matchMedia("(max-width: 760px)") : null;
  function foldNav() {
    var wide = !narrow || !narrow.matches;
    document.querySelectorAll("#nav details.nav-group").forEach(function (d) {
      d.open = wide || d.hasAttribute("data-current");
    });
  }
  function closeDrawer() {
    var nav = document.getElementById("nav");
    if (nav) nav.classList.remove("open");
    var menu = document.querySelector(".menu-btn");
    if (menu) menu.setAttribute("aria-expanded", "false");
  }
  foldNav();
  if (narrow && narrow.addEventListener) narrow.addEventListener("change", foldNav);
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target instanceof Element && event.target.querySelector("#nav")) foldNav();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.querySelector("#nav.open")) closeDrawer();
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    var autosubmit = target instanceof HTMLSelectElement || (target instanceof HTMLInputElement && target.type === "checkbox");
    if (autosubmit && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });

  // ---- repeated rows (packages, components, document lines) ----

  // A new row is a copy of the last one with its values and messages cleared.
  function addRow(box) {
    var last = box.lastElementChild;
    if (!last) return null;
    var row = last.cloneNode(true);
    row.classList.remove("invalid");
    row.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
    row.querySelectorAll(".bad").forEach(function (e) { e.classList.remove("bad"); });
    row.querySelectorAll(".pick-results").forEach(function (e) { e.innerHTML = ""; });
    row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
    row.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
    box.appendChild(row);
    if (window.htmx) htmx.process(row);
    return row;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var add = target.closest("[data-add-row]");
    if (add) {
      var box = document.getElementById(add.getAttribute("data-add-row"));
      var row = box && addRow(box);
      var first = row && row.querySelector("input:not([type=hidden]), select");
      if (first) first.focus();
      return;
    }
    var remove = target.closest("[data-remove-row]");
    if (remove) {
      var item = remove.closest(".row-item");
      if (!item) return;
      if (item.parentElement && item.parentElement.children.length > 1) {
        item.remove();
      } else {
        item.querySelectorAll("input").forEach(function (i) { i.value = ""; });
        item.querySelectorAll("select").forEach(function (s) { s.selectedIndex = 0; });
      }
      return;
    }
    var pick = target.closest("[data-pick]");
    if (pick) choose(pick);
  });

  // ---- the product picker of document lines ----

  function choose(pick) {
    var line = pick.closest(".row-item");
    if (!line) return;
    var id = line.querySelector("input[name=line_product]");
    var name = line.querySelector("input[name=line_name]");
    var cost = line.querySelector("input[name=line_cost]");
    if (id) id.value = pick.getAttribute("data-pick");
    if (name) name.value = pick.getAttribute("data-name");
    if (cost && !cost.value && pick.getAttribute("data-cost") !== "0") cost.value = pick.getAttribute("data-cost");
    line.querySelectorAll(".pick-results").forEach(function (e) { e.innerHTML = ""; });
    line.classList.remove("invalid");
    var qty = line.querySelector("input[name=line_qty]");
    if (qty) qty.focus();
    // Picking in the last line opens the next one, as a scanner user expects.
    var box = line.parentElement;
    if (box && box.lastElementChild === line && box.id === "lines") addRow(box);
  }

  // Typing changes the product: the chosen id no longer holds until a new pick.
  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target instanceof HTMLInputElement && target.classList.contains("pick-input")) {
      var line = target.closest(".row-item");
      var id = line && line.querySelector("input[name=line_product]");
      if (id) id.value = "";
    }
    if (target instanceof HTMLInputElement && target.form && target.form.hasAttribute("data-price-form")) {
      followMarkup(target.form);
    }
  });

  // Enter in the picker (a scanner ends with it) picks the first hit instead of submitting;
  // when the hits are still on their way, the first one is picked as they arrive.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || !(target instanceof HTMLInputElement) || !target.classList.contains("pick-input")) return;
    event.preventDefault();
    var line = target.closest(".row-item");
    var first = line && line.querySelector("[data-pick]");
    if (first) choose(first);
    else if (line) line.setAttribute("data-pick-first", "1");
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = event.target;
    if (!(box instanceof Element) || !box.classList.contains("pick-results")) return;
    var line = box.closest(".row-item");
    if (line && line.hasAttribute("data-pick-first")) {
      line.removeAttribute("data-pick-first");
      var first = box.querySelector("[data-pick]");
      if (first) choose(first);
    }
  });

  // ---- the price that follows the markup (the server applies the same rule) ----

  // "1 234,5" → 123450n hundredths; null when it is not such a number.
  function hundredths(raw) {
    var s = String(raw || "").replace(/[\s\u00a0]/g, "").replace(",", ".");
    var m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
    if (!m) return null;
    return BigInt(m[1]) * 100n + BigInt(((m[2] || "") + "00").slice(0, 2));
  }

  function followMarkup(form) {
    var purchase = form.querySelector("[name=purchase_price]");
    var markup = form.querySelector("[name=markup]");
    var price = form.querySelector("[name=price]");
    var note = form.querySelector(".markup-note");
    if (!purchase || !markup || !price || typeof BigInt === "undefined") return;
    var m = hundredths(markup.value);
    var on = m !== null && m > 0n;
    price.readOnly = on;
    if (note) note.hidden = !on;
    var p = hundredths(purchase.value);
    if (!on || p === null) return;
    // price = purchase × (1 + markup/100), half-up to kopecks: all in integers.
    var cents = (p * (10000n + m) + 5000n) / 10000n;
    var whole = cents / 100n, frac = cents % 100n;
    price.value = whole.toString() + "." + (frac < 10n ? "0" : "") + frac.toString();
  }

  // A click outside the open user menu closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!(event.target instanceof Node) || !d.contains(event.target)) d.removeAttribute("open");
    });
  });

  // ---- the till: a USB barcode scanner types like a keyboard and ends with Enter ----
  // Fast keystrokes typed outside any field (≤ 100 ms apart, as a scanner sends them, not a
  // person) are collected and submitted through the till's scan box, so scanning works
  // wherever the focus is. One listener for the document, so boosted page changes never
  // add a second one.
  var scanBuffer = "";
  var scanLast = 0;
  document.addEventListener("keydown", function (e) {
    var scan = document.getElementById("scan");
    if (!scan || !scan.form) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    var now = Date.now();
    if (now - scanLast > 100) scanBuffer = "";
    scanLast = now;
    if (e.key === "Enter") {
      if (scanBuffer.length >= 3) {
        scan.value = scanBuffer;
        scanBuffer = "";
        e.preventDefault();
        if (scan.form.requestSubmit) scan.form.requestSubmit();
        else scan.form.submit();
      }
      return;
    }
    if (e.key.length === 1) scanBuffer += e.key;
  });

  // ---- the till's keypad: taps type into the last amount field the cashier touched ----
  var keypadTarget = null;
  document.addEventListener("focusin", function (e) {
    var t = e.target;
    if (t instanceof HTMLInputElement && t.classList.contains("keypad-target")) keypadTarget = t;
  });
  document.addEventListener("click", function (e) {
    var key = e.target instanceof Element && e.target.closest(".keypad [data-key]");
    if (!key) return;
    var field = keypadTarget && document.body.contains(keypadTarget) ? keypadTarget : document.querySelector(".keypad-target");
    if (!field) return;
    var k = key.getAttribute("data-key");
    field.value = k === "⌫" ? field.value.slice(0, -1) : field.value + k;
    field.focus();
  });

  // ---- live regions: an element with data-live (a server-sent events URL) and data-live-refresh reloads its
  // data-live-refresh fragment into itself on every event; streams are reopened after each
  // boosted navigation and closed with the page that opened them ----
  var liveSources = [];
  function connectLive() {
    liveSources.forEach(function (s) { s.close(); });
    liveSources = [];
    if (!window.EventSource) return;
    // Only regions that name their fragment: the CRM board follows its own stream below.
    document.querySelectorAll("[data-live][data-live-refresh]").forEach(function (el) {
      var src = new EventSource(el.getAttribute("data-live"));
      // One refresh at a time: htmx drops a request made while another on the same target is
      // in flight, so an event arriving during a refresh (which may have read the state before
      // that event's change) asks for one more refresh after it.
      var busy = false, again = false;
      var refresh = function () {
        if (!document.body.contains(el)) { src.close(); return; }
        if (!window.htmx) return;
        if (busy) { again = true; return; }
        busy = true;
        var done = function () {
          busy = false;
          if (again) { again = false; refresh(); }
        };
        htmx.ajax("GET", el.getAttribute("data-live-refresh"), { target: el, swap: "innerHTML" }).then(done, done);
      };
      ["message", "conversation", "notification", "ticket", "resync"].forEach(function (k) { src.addEventListener(k, refresh); });
      // Whatever changed between rendering the page and the stream's (re)opening was not heard.
      src.addEventListener("open", refresh);
      liveSources.push(src);
    });
  }
  function scrollMessages() {
    var box = document.getElementById("messages");
    if (box) box.scrollTop = box.scrollHeight;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { connectLive(); scrollMessages(); });
  else { connectLive(); scrollMessages(); }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (target === document.body) connectLive();
    if (target === document.body || (target && target.id === "messages")) scrollMessages();
  });
  window.addEventListener("pagehide", function () { liveSources.forEach(function (s) { s.close(); }); });
})();

// ---- live scale weight: [data-scale-live] follows its scale's server-sent events ----
// Bound on load and on every htmx swap (boosted forms replace the page without re-running
// this file); a widget swapped out closes its stream, so streams never pile up.
(function () {
  if (!window.EventSource) return;
  var open = [];
  function bind(root) {
    open = open.filter(function (o) {
      if (document.body.contains(o.box)) return true;
      o.source.close();
      return false;
    });
    var boxes = root.querySelectorAll ? root.querySelectorAll("[data-scale-live]") : [];
    Array.prototype.forEach.call(boxes, function (box) {
      if (box.getAttribute("data-bound")) return;
      box.setAttribute("data-bound", "1");
      var labels = {};
      try { labels = JSON.parse(box.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
      var kg = box.querySelector(".scale-kg");
      var state = box.querySelector(".scale-state");
      var last = document.querySelector(".scale-last");
      var source = new EventSource(box.getAttribute("data-src"));
      open.push({ box: box, source: source });
      source.addEventListener("weight", function (e) {
        var w;
        try { w = JSON.parse(e.data); } catch (err) { return; }
        var grams = Number(w.grams) || 0;
        if (kg) kg.textContent = (grams / 1000).toFixed(3).replace(".", document.documentElement.lang === "ru" ? "," : ".");
        box.setAttribute("data-state", w.state);
        if (state) {
          state.setAttribute("data-state", w.state);
          state.textContent = labels[w.state] || w.state;
        }
        if (last && w.last_good) last.textContent = new Date(w.last_good).toLocaleTimeString();
      });
    });
  }
  bind(document);
  document.addEventListener("htmx:load", function (event) { bind(document); });
})();

// ---- CRM board: dragging a card onto another stage submits the card's own "move to" form,
// the same request the keyboard path sends, so drag and drop is only a shortcut ----
(function () {
  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var card = e.target instanceof Element && e.target.closest(".crm-card[data-deal]");
    if (!card) return;
    dragged = card;
    if (e.dataTransfer) {
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", card.getAttribute("data-deal"));
    }
  });
  document.addEventListener("dragover", function (e) {
    var col = dragged && e.target instanceof Element && e.target.closest(".crm-column[data-stage]");
    if (!col) return;
    e.preventDefault();
    col.classList.add("crm-drop");
  });
  document.addEventListener("dragleave", function (e) {
    var col = e.target instanceof Element && e.target.closest(".crm-column[data-stage]");
    if (col) col.classList.remove("crm-drop");
  });
  document.addEventListener("drop", function (e) {
    var col = dragged && e.target instanceof Element && e.target.closest(".crm-column[data-stage]");
    if (!col) return;
    e.preventDefault();
    col.classList.remove("crm-drop");
    var form = dragged.querySelector("form.crm-move");
    dragged = null;
    if (!form) return;
    var stage = col.getAttribute("data-stage");
    if (form.elements.stage.value === stage) return;
    form.elements.stage.value = stage;
    if (col.classList.contains("crm-lost") && !form.elements.lost_reason.value) {
      form.elements.lost_reason.focus();
      return;
    }
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  });
})();

// ---- CRM board, live: a board follows its company's "crm.board" stream and, when any deal
// is created, edited or moved, re-reads itself as its viewer (rights applied by the server)
// and swaps its columns in place; a move form being used is never swapped from under the
// keyboard — the refresh waits until focus leaves it ----
(function () {
  var source = null;
  var pending = false;
  function stop() {
    if (source) { source.close(); source = null; }
  }
  function refresh() {
    var board = document.getElementById("board");
    if (!board || !board.hasAttribute("data-live")) { stop(); return; }
    var active = document.activeElement;
    if (active && board.contains(active) && active.matches("select, input")) { pending = true; return; }
    pending = false;
    fetch(location.href, { headers: { accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        var now = document.getElementById("board");
        if (fresh && now) {
          now.innerHTML = fresh.innerHTML;
          now.setAttribute("data-synced", String(Date.now()));
        }
      })
      .catch(function () {});
  }
  function start() {
    var board = document.getElementById("board");
    if (!board || !board.hasAttribute("data-live") || !window.EventSource) { stop(); return; }
    if (source) { board.setAttribute("data-live-open", "1"); return; }
    source = new EventSource(board.getAttribute("data-live"));
    source.addEventListener("open", function () {
      var b = document.getElementById("board");
      if (b) b.setAttribute("data-live-open", "1");
    });
    source.addEventListener("deal", refresh);
    source.addEventListener("resync", refresh);
  }
  document.addEventListener("focusout", function () { if (pending) setTimeout(refresh, 0); });
  start();
  document.addEventListener("htmx:load", start);
})();
