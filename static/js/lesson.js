// Time-on-lesson heartbeat: every 30 s of visible reading is reported to the
// server, which caps what one beat may add. Nothing is sent from a hidden tab.
(function () {
  "use strict";
  var reader = document.querySelector("[data-heartbeat-url]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!reader || !tokenMeta || !window.fetch) { return; }
  var url = reader.getAttribute("data-heartbeat-url");
  var visibleSeconds = 0;
  var INTERVAL = 30;

  function send(useBeacon) {
    if (visibleSeconds < 1) { return; }
    var seconds = visibleSeconds;
    visibleSeconds = 0;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!useBeacon,
      headers: { "Content-Type": "application/json", "X-CSRFToken": tokenMeta.content },
      body: JSON.stringify({ seconds: seconds })
    }).catch(function () { visibleSeconds += seconds; });
  }

  setInterval(function () {
    if (document.visibilityState === "visible") {
      visibleSeconds += 1;
      if (visibleSeconds >= INTERVAL) { send(false); }
    }
  }, 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { send(true); }
  });
})();
