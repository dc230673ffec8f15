// Live preview for the lesson editor: while the author types, POST the form's
// fields as JSON to /author/preview and show the HTML the server renders with
// the learner's own template. Without JavaScript the Preview button does the
// same with a full page load.
(function () {
  "use strict";
  var form = document.getElementById("lesson-form");
  var target = document.getElementById("lesson-preview");
  var state = document.getElementById("preview-state");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !target || !window.fetch || !tokenMeta) {
    return;
  }
  var timer = null;
  var sequence = 0;

  function field(name) {
    var element = form.elements.namedItem(name);
    return element ? element.value : "";
  }

  function refresh() {
    var mine = ++sequence;
    fetch(form.dataset.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": tokenMeta.getAttribute("content")
      },
      body: JSON.stringify({
        lesson_id: parseInt(form.dataset.lessonId, 10),
        title: field("title"),
        minutes: field("minutes"),
        statutes: field("statutes"),
        body_md: field("body_md")
      })
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("preview failed: " + response.status);
      }
      return response.json();
    }).then(function (data) {
      if (mine !== sequence) {
        return; // an older answer arriving late
      }
      target.innerHTML = data.html; // rendered and sanitised by the server
      if (state) {
        state.textContent = [state.dataset.unsaved].concat(data.errors || []).join(" · ");
      }
    }).catch(function () {
      // keep the last preview; the Preview button still works
    });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 400);
  });
})();
