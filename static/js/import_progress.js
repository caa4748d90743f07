// The import preview page follows its job while it is queued or being written, then reloads.
(function () {
  "use strict";
  var box = document.querySelector(".progress[data-url]");
  if (!box) { return; }
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      document.getElementById("job-progress").value = d.done;
      document.getElementById("job-count").textContent = d.done;
      document.getElementById("job-status").textContent = d.status_display;
      if (d.message) { document.getElementById("job-message").textContent = d.message; }
      if (d.status === "running" || d.status === "queued") { setTimeout(poll, 1000); } else { location.reload(); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
