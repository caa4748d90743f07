// Behaviour every page shares, kept out of the HTML so that the Content-Security-Policy can
// forbid inline scripts: a <select data-autosubmit> submits its form when it changes.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) { target.form.submit(); }
  });
})();

// A filter form (<form data-applied>) shows what the page is showing. A typed value (a date, a
// search) applies on Enter or 筛选; until then the form says it has not been applied. Coming back
// to a page (the browser's back button keeps pages whole, with a choice just made in its box)
// puts such a form, and any GET form that applies on change, back as it was served.
(function () {
  "use strict";
  function pending(form, on) {
    var note = form.querySelector(".pending");
    if (note) { note.hidden = !on; }
  }
  function edited(event) {
    var target = event.target;
    var form = target.form;
    if (!form || !form.hasAttribute("data-applied") || target.matches("select[data-autosubmit]")) { return; }
    pending(form, true);
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  window.addEventListener("pageshow", function (event) {
    var entry = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    // Kept whole (bfcache), or loaded again with the browser restoring what the boxes held.
    if (!event.persisted && !(entry && entry.type === "back_forward")) { return; }
    document.querySelectorAll("form[data-applied], form[method=get]").forEach(function (form) {
      if (form.hasAttribute("data-applied") || form.querySelector("select[data-autosubmit]")) {
        form.reset();
        pending(form, false);
      }
    });
  });
})();

// A list row (<tr data-href>) opens its record when clicked or tapped anywhere on it; its own
// links (查看, 修改) still go where they say, and selecting text in it to copy opens nothing.
// From the keyboard the row's 查看 link is the way in.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("tr[data-href]");
    if (!row || event.defaultPrevented || event.button !== 0) { return; }
    if (event.target.closest("a, button, input, select, textarea, label, summary")) { return; }
    if (String(window.getSelection ? window.getSelection() : "")) { return; }
    if (event.ctrlKey || event.metaKey || event.shiftKey) { window.open(row.dataset.href, "_blank"); return; }
    window.location.assign(row.dataset.href);
  });
})();

// A part of a page that takes a moment to compute (the report's data check) is fetched after the
// page: <div data-fragment="URL"> is replaced by what URL answers (its link opens it on its own).
(function () {
  "use strict";
  document.querySelectorAll("[data-fragment]").forEach(function (box) {
    fetch(box.dataset.fragment, {credentials: "same-origin", headers: {"X-Fragment": "1"}})
      .then(function (r) {
        // Only the fragment itself: a session that expired answers with the login page instead.
        if (!r.ok || r.redirected || !r.headers.get("X-Fragment")) { throw new Error(r.status); }
        return r.text();
      })
      .then(function (html) { box.outerHTML = html; })
      .catch(function () {
        var note = box.querySelector("p");
        if (note) { note.firstChild.textContent = "数据检查暂时无法加载（"; }
      });
  });
})();
