/* Integrity monitoring on the exam page: page events in batches, webcam pictures at
 * the exam's interval, copy/paste blocking and full screen when the exam asks for it.
 * Events are facts for the proctor and the review, never verdicts. */
(function () {
  "use strict";
  var root = document.getElementById("exam");
  if (!root || !root.dataset.eventsUrl) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var blockClipboard = root.dataset.blockClipboard === "1";
  var interval = parseInt(root.dataset.snapshotInterval || "0", 10);
  var queue = [];

  function add(kind) {
    queue.push({ kind: kind, at: Date.now() });
    if (queue.length >= 20) { send(false); }
  }
  function send(leaving) {
    if (!queue.length) { return; }
    var batch = queue.splice(0, 100);
    fetch(root.dataset.eventsUrl, {
      method: "POST", credentials: "same-origin", keepalive: !!leaving,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ events: batch })
    }).then(function (response) {
      if (response.status >= 500) { queue = batch.concat(queue); }
    }).catch(function () { queue = batch.concat(queue); });
  }
  setInterval(function () { send(false); }, 5000);
  window.addEventListener("pagehide", function () { send(true); });

  document.addEventListener("visibilitychange", function () { add(document.hidden ? "hidden" : "visible"); });
  window.addEventListener("blur", function () { add("blur"); });
  window.addEventListener("focus", function () { add("focus"); });
  window.addEventListener("beforeprint", function () { add("print"); });
  ["copy", "cut", "paste"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      add(kind);
      if (blockClipboard) { event.preventDefault(); }
    });
  });
  document.addEventListener("contextmenu", function (event) {
    add("context_menu");
    if (blockClipboard) { event.preventDefault(); }
  });

  // Full screen cannot be forced; the page offers it and reports leaving it.
  var fullscreen = document.getElementById("exam-fullscreen");
  document.addEventListener("fullscreenchange", function () {
    add(document.fullscreenElement ? "fullscreen_enter" : "fullscreen_exit");
    if (fullscreen) { fullscreen.hidden = !!document.fullscreenElement; }
  });
  if (fullscreen && document.documentElement.requestFullscreen) {
    fullscreen.hidden = false;
    fullscreen.addEventListener("click", function () { document.documentElement.requestFullscreen(); });
  }

  // Webcam pictures at the exam's interval while the page is open (camera.js); a gap
  // in them shows in the review, a camera that is missing or refused on the page.
  if (interval > 0) {
    var status = document.getElementById("exam-camera");
    window.cameraPictures(root.dataset.snapshotUrl, 2000, interval * 1000, function () {},
                          function () { if (status) { status.hidden = false; } });
  }
}());
