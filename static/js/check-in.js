/* The check-in waiting page: a live camera picture for the proctor now and every
 * 15 seconds (only when the candidate agreed to camera pictures), and a reload as
 * soon as the proctor has admitted or rejected the candidate. */
(function () {
  "use strict";
  var root = document.getElementById("check-in-wait");
  if (!root) { return; }
  var status = document.getElementById("check-in-camera-status");
  var text = JSON.parse(document.getElementById("check-in-text").textContent);

  setInterval(function () {
    fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.state !== "registered") { window.location.reload(); } })
      .catch(function () { /* try again next time */ });
  }, 5000);

  if (!root.dataset.pictureUrl) { return; }
  window.cameraPictures(root.dataset.pictureUrl, 1500, 15000, function (ok) {
    status.textContent = ok ? text.sent : text.failed;
  }, function () { status.textContent = text.no_camera; },
  document.getElementById("check-in-preview"));
}());
