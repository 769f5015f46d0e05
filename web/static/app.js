// Dukan UI behaviour, kept small: htmx settings, the menu button on narrow screens,
// selects that submit on change, closing flash messages and copying invite links.
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
        var open = nav.classList.toggle("open");
        menu.setAttribute("aria-expanded", open ? "true" : "false");
      }
      return;
    }
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

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });

  // A click outside the open user menu closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (d) {
      if (!(event.target instanceof Node) || !d.contains(event.target)) d.removeAttribute("open");
    });
  });
})();
