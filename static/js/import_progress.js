// The import preview page, and the page of a file being made, follow their job while it is checked, queued or written, then reload.
(function () {
  "use strict";
  var box = document.querySelector(".progress[data-url]");
  if (!box) { return; }
  var following = {running: true, queued: true, checking: true};
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      var bar = document.getElementById("job-progress");
      bar.value = d.done;
      document.getElementById("job-count").textContent = d.done;
      var total = document.getElementById("job-total");
      if (total && d.total) { total.textContent = d.total; bar.max = d.total; }
      var phase = document.getElementById("job-phase");
      if (phase && d.phase_display) { phase.textContent = d.phase_display; }
      document.getElementById("job-status").textContent = d.status_display;
      if (d.message) { document.getElementById("job-message").textContent = d.message; }
      if (following[d.status]) { setTimeout(poll, 1000); } else { location.reload(); }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
