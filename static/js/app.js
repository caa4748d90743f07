// Behaviour every page shares, kept out of the HTML so that the Content-Security-Policy can
// forbid inline scripts: a <select data-autosubmit> submits its form when it changes.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) { target.form.submit(); }
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
