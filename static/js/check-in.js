/* The check-in waiting page: a live camera picture for the proctor now and every
 * 15 seconds (only when the candidate agreed to camera pictures), and a reload as
 * soon as the proctor has admitted or rejected the candidate. */
(function () {
  "use strict";
  var root = document.getElementById("check-in-wait");
  if (!root) { return; }
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var status = document.getElementById("check-in-camera-status");
  var text = JSON.parse(document.getElementById("check-in-text").textContent);

  setInterval(function () {
    fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.state !== "registered") { window.location.reload(); } })
      .catch(function () { /* try again next time */ });
  }, 5000);

  if (!root.dataset.pictureUrl) { return; }
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    status.textContent = text.no_camera;
    return;
  }
  navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false })
    .then(function (stream) {
      var video = document.getElementById("check-in-preview");
      video.srcObject = stream; video.hidden = false; video.play();
      var canvas = document.createElement("canvas");
      canvas.width = 320; canvas.height = 240;
      function take() {
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob) { return; }
          fetch(root.dataset.pictureUrl, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "image/jpeg", "X-CSRFToken": token }, body: blob
          }).then(function (r) {
            status.textContent = r.ok ? text.sent : text.failed;
          }).catch(function () { status.textContent = text.failed; });
        }, "image/jpeg", 0.7);
      }
      setTimeout(take, 1500);
      setInterval(take, 15000);
    })
    .catch(function () { status.textContent = text.no_camera; });
}());
