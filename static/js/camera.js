/* Webcam pictures for the proctor (exam page and check-in waiting page): small JPEGs
 * posted to `url` first after `firstMs`, then every `everyMs`. `done(ok)` hears how
 * each post went; `failed()` that there is no camera or it was refused. */
window.cameraPictures = function (url, firstMs, everyMs, done, failed, preview) {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]').content;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { failed(); return; }
  navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false })
    .then(function (stream) {
      var video = preview || document.createElement("video");
      video.muted = true; video.playsInline = true; video.srcObject = stream;
      video.hidden = false;
      video.play();
      var canvas = document.createElement("canvas");
      canvas.width = 320; canvas.height = 240;
      function take() {
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        canvas.toBlob(function (blob) {
          if (!blob) { return; }
          fetch(url, {
            method: "POST", credentials: "same-origin",
            headers: { "Content-Type": "image/jpeg", "X-CSRFToken": token }, body: blob
          }).then(function (r) { done(r.ok); }).catch(function () { done(false); });
        }, "image/jpeg", 0.6);
      }
      setTimeout(take, firstMs);
      setInterval(take, everyMs);
    })
    .catch(failed);
};
