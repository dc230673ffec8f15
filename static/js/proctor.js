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
        });
        if (reload && !document.activeElement.matches("input")) { window.location.reload(); }
      }).catch(function () { /* try again next time */ });
  }
  setInterval(refresh, 5000);
}());
