/* The proctor console refreshes itself: time left, answers and last save every
 * 5 seconds; a change of state reloads the page so the right actions show. */
(function () {
  "use strict";
  var table = document.getElementById("console");
  if (!table) { return; }
  function clock(seconds) {
    return seconds === null ? "—" : Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }
  function refresh() {
    fetch(table.dataset.liveUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var reload = false;
        data.rows.forEach(function (row) {
          var tr = table.querySelector('tr[data-attempt="' + row.id + '"]');
          if (!tr) { reload = true; return; }
          var badge = tr.querySelector("[data-state]");
          if (badge && badge.dataset.state !== row.state) { reload = true; }
          tr.querySelector('[data-field="remaining"]').textContent = clock(row.remaining);
          tr.querySelector('[data-field="answered"]').textContent = row.answered + " / " + row.items;
          tr.querySelector('[data-field="last_save"]').textContent = row.last_save || "—";
          // a newer camera picture (the waiting candidate's live one included) replaces the old
          tr.querySelectorAll('[data-field="snapshot"] img, [data-field="live_picture"] img').forEach(function (img) {
            if (row.snapshot_url && img.getAttribute("src") !== row.snapshot_url) { img.src = row.snapshot_url; }
          });
          var live = tr.querySelector('[data-field="live_picture"]');
          if (live && row.snapshot_url && !live.querySelector("img")) { reload = true; }
        });
        if (reload && !document.activeElement.matches("input")) { window.location.reload(); }
      }).catch(function () { /* try again next time */ });
  }
  setInterval(refresh, 5000);
}());
