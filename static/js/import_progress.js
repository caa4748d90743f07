// The import preview page, and the page of a file being made, follow their job while it is queued or being written, then reloads.
(function () {
  "use strict";
  var box = document.querySelector(".progress[data-url]");
  if (!box) { return; }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("job-progress").value = d.done;
      document.getElementById("job-count").textContent = d.done;
      var total = document.getElementById("job-total");
      if (total && d.total) { total.textContent = d.total; document.getElementById("job-progress").max = d.total; }
      document.getElementById("job-status").textContent = d.status_display;
      if (d.message) { document.getElementById("job-message").textContent = d.message; }
      if (d.status === "running" || d.status === "queued") { setTimeout(poll, 1000); } else { location.reload(); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
