/* The exam page: autosave that never loses an answer.
 *
 * Every change of an item is a save with a per-slot sequence number, kept in
 * localStorage until the server acknowledges it; the server keeps only the
 * highest sequence, so retries and reordering are harmless. The clock shown is
 * the server's remaining time, re-synced on every save and status poll. */
(function () {
  "use strict";
  var root = document.getElementById("exam");
  if (!root) { return; }
  var form = document.getElementById("exam-form");
  var text = JSON.parse(document.getElementById("exam-text").textContent);
  var server = JSON.parse(document.getElementById("exam-answers").textContent);
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var storeKey = "exam:" + root.dataset.attempt;
  var items = Array.prototype.slice.call(document.querySelectorAll(".exam-item"));
  var paged = root.dataset.layout === "paged";
  var sequential = root.dataset.navigation === "sequential";
  var state = load();
  var inFlight = false, retryDelay = 1000, retryTimer = null, debounce = null;
  var remaining = parseInt(root.dataset.remaining, 10), clockBase = Date.now();
  var stopped = false, paused = root.dataset.state === "paused", current = 0, lastMessage = 0;
  var signedOut = false, leaving = false;

  // -- local ledger ------------------------------------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || { slots: {}, flags: {} }; }
    catch (e) { return { slots: {}, flags: {} }; }
  }
  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* full: the server copy still counts */ }
  }
  function forget() {
    // the attempt is closed: its answers must not stay behind on a shared computer
    try { localStorage.removeItem(storeKey); } catch (e) { /* nothing to remove */ }
  }
  function pending() {
    return Object.keys(state.slots).filter(function (slot) { return !state.slots[slot].acked; })
      .map(function (slot) {
        var entry = state.slots[slot];
        return { slot: parseInt(slot, 10), seq: entry.seq, response: entry.response };
      });
  }

  // -- reading and filling an item's fields -------------------------------------------
  function fieldsOf(item) {
    return Array.prototype.slice.call(item.querySelectorAll("input[name], select[name], textarea[name]"));
  }
  function responseOf(item) {
    var response = {};
    fieldsOf(item).forEach(function (field) {
      if (!(field.name in response)) { response[field.name] = []; }
      if ((field.type === "radio" || field.type === "checkbox")) {
        if (field.checked) { response[field.name].push(field.value); }
      } else if (field.value !== "") {
        response[field.name].push(field.value);
      }
    });
    return response;
  }
  function fill(item, response) {
    fieldsOf(item).forEach(function (field) {
      var values = (response && response[field.name]) || [];
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = values.indexOf(field.value) !== -1;
      } else {
        field.value = values.length ? values[0] : "";
      }
    });
  }
  function answered(response) {
    return !!response && Object.keys(response).some(function (name) {
      return response[name].some(function (v) { return String(v).trim() !== ""; });
    });
  }

  // -- restore: the server's answer unless this device holds a newer, unsent one ----------
  items.forEach(function (item) {
    var slot = item.dataset.slot, mine = state.slots[slot], theirs = server[slot];
    if (theirs && (!mine || mine.seq <= theirs.seq)) {
      state.slots[slot] = { seq: theirs.seq, response: theirs.response, acked: true };
    }
    if (state.slots[slot]) { fill(item, state.slots[slot].response); }
    var flag = item.querySelector(".exam-flag");
    if (flag) { flag.checked = !!state.flags[slot]; }
  });
  persist();

  // -- saving ---------------------------------------------------------------------------
  function showStatus(kind) {
    var badge = document.getElementById("exam-save");
    var tones = { saved: "success", saving: "secondary", offline: "warning", unsent: "warning" };
    badge.dataset.status = kind;
    badge.className = "badge text-bg-" + tones[kind];
    badge.textContent = text[kind];
  }
  function notice(kind, link) {
    var box = document.getElementById("exam-notice");
    box.textContent = kind ? text[kind] : "";
    box.dataset.kind = kind || "";
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      a.className = "alert-link ms-1";
      a.textContent = text.open_again;
      // the unsent answers are in this device's storage and go when the page is back
      a.addEventListener("click", function () { leaving = true; });
      box.appendChild(a);
    }
    box.classList.toggle("d-none", !kind);
  }
  function record(item) {
    var slot = item.dataset.slot, before = state.slots[slot];
    state.slots[slot] = { seq: (before ? before.seq : 0) + 1, response: responseOf(item), acked: false };
    persist();
    refreshNavigator();
    showStatus(navigator.onLine ? "unsent" : "offline");
    clearTimeout(debounce);
    debounce = setTimeout(flush, 600);
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(readJson);
  }
  // A request whose login has ended is sent to the login page, and a page whose
  // login was renewed elsewhere holds a stale CSRF token (400 without "bad_save"):
  // either way only opening the exam again helps; the answers wait on this device.
  function readJson(response) {
    if (response.redirected) { return loggedOut(); }
    return response.json().then(function (data) {
      if (response.status === 400 && data.error !== "bad_save") { return loggedOut(); }
      return { status: response.status, data: data };
    });
  }
  function loggedOut() {
    if (!signedOut) {
      signedOut = true;
      clearTimeout(retryTimer);
      notice("signed_out", root.dataset.doneUrl);
    }
    showStatus(pending().length ? "unsent" : "saved");
    return Promise.reject(new Error("signed_out"));
  }
  function acknowledge(acked) {
    acked.forEach(function (ack) {
      var entry = state.slots[ack.slot];
      if (entry && entry.seq <= ack.seq) { entry.acked = true; }
    });
    persist();
  }
  function flush() {
    if (inFlight || stopped || paused || signedOut) { return Promise.resolve(); }
    var saves = pending();
    if (!saves.length) { showStatus("saved"); return Promise.resolve(); }
    inFlight = true;
    showStatus("saving");
    return post(root.dataset.saveUrl, { saves: saves }).then(function (result) {
      inFlight = false;
      if (result.data.remaining !== undefined && result.data.remaining !== null) { syncClock(result.data.remaining); }
      if (result.status === 200) {
        retryDelay = 1000;
        acknowledge(result.data.acked || []);
        // another tab or window saved a newer answer to these questions: say so
        if ((result.data.stale || []).length) { notice("stale"); }
        // a sequential exam: a question the candidate has moved past is closed
        if ((result.data.closed || []).length) { notice("closed"); }
        if (pending().length) { return flush(); }
        showStatus("saved");
      } else if (result.status === 409) {
        handleRefusal(result.data);
      } else {
        scheduleRetry();
      }
    }).catch(function () {
      inFlight = false;
      if (!signedOut) { scheduleRetry(); }
    });
  }
  function scheduleRetry() {
    showStatus(navigator.onLine ? "unsent" : "offline");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  }
  function handleRefusal(data) {
    if (data.error === "paused" || data.state === "paused") {
      setPaused(true);
    } else if (data.error === "other_device") {
      stopped = true;
      notice("other_device");
    } else if (["time_up", "finished"].indexOf(data.error) !== -1 || (data.state && ["in_progress", "paused"].indexOf(data.state) === -1)) {
      finish("time_up");
    } else {
      scheduleRetry();
    }
  }
  function finish(kind) {
    stopped = true;
    forget();
    notice(kind);
    setTimeout(function () { window.location.assign(root.dataset.doneUrl); }, 2500);
  }
  function setPaused(on) {
    paused = on;
    form.querySelectorAll("input, select, textarea, button").forEach(function (el) { el.disabled = on; });
    notice(on ? "paused" : "");
    if (!on) { flush(); }
  }

  // -- the clock: the server's remaining time, counted down locally between syncs -------------
  function syncClock(seconds) { remaining = seconds; clockBase = Date.now(); }
  function tick() {
    var left = paused ? remaining : Math.max(0, remaining - Math.floor((Date.now() - clockBase) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    document.getElementById("exam-clock").textContent =
      (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    if (left === 0 && !stopped && !paused) { flush().then(poll); }
  }
  function poll() {
    if (stopped || signedOut) { return; }
    fetch(root.dataset.statusUrl + "?since=" + lastMessage,
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(readJson)
      .then(function (result) {
        var data = result.data;
        (data.messages || []).forEach(showMessage);
        if (data.remaining !== null && data.remaining !== undefined) { syncClock(data.remaining); }
        if (data.state === "paused" && !paused) { setPaused(true); }
        else if (data.state === "in_progress" && paused) { setPaused(false); }
        else if (["in_progress", "paused"].indexOf(data.state) === -1) { finish("time_up"); }
      }).catch(function () { if (!signedOut) { showStatus(pending().length ? "offline" : "saved"); } });
  }

  function showMessage(message) {
    lastMessage = Math.max(lastMessage, message.id);
    var box = document.createElement("div");
    box.className = "alert alert-warning exam-message";
    box.setAttribute("role", "alert");
    box.textContent = text.warning + " " + message.body;
    document.getElementById("exam-messages").appendChild(box);
  }

  // -- navigation -------------------------------------------------------------------------
  function refreshNavigator() {
    document.querySelectorAll(".exam-nav-item").forEach(function (button) {
      var slot = button.dataset.goto, entry = state.slots[slot];
      var done = !!(entry && answered(entry.response)), flagged = !!state.flags[slot];
      button.classList.toggle("btn-success", done);
      button.classList.toggle("btn-outline-secondary", !done);
      button.classList.toggle("exam-flagged", flagged);
      button.dataset.answered = done;
      button.dataset.flagged = flagged;
      // the colours are not the only sign: the name says it too
      if (!button.dataset.label) { button.dataset.label = button.getAttribute("aria-label"); }
      button.setAttribute("aria-label", [button.dataset.label].concat(done ? [text.nav_answered] : [],
        flagged ? [text.nav_flagged] : []).join(text.separator));
      button.setAttribute("aria-current", paged && parseInt(slot, 10) === current ? "step" : "false");
    });
    var missing = [], flagged = [];
    items.forEach(function (item, i) {
      var entry = state.slots[item.dataset.slot];
      if (!(entry && answered(entry.response))) { missing.push(i + 1); }
      if (state.flags[item.dataset.slot]) { flagged.push(i + 1); }
    });
    var summary = missing.length ? text.unanswered.replace("{list}", missing.join("、")) : text.all_answered;
    if (flagged.length) { summary += " " + text.flagged.replace("{list}", flagged.join("、")); }
    document.getElementById("exam-summary").textContent = summary;
  }
  function show(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    if (!paged) {
      items[current].scrollIntoView({ behavior: "smooth", block: "start" });
      return;
    }
    items.forEach(function (item, i) { item.hidden = i !== current; });
    document.getElementById("exam-prev").hidden = sequential || current === 0;
    document.getElementById("exam-next").hidden = current === items.length - 1;
    document.getElementById("exam-finish").hidden = current !== items.length - 1 && sequential;
    refreshNavigator();
  }
  document.querySelectorAll(".exam-nav-item").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = parseInt(button.dataset.goto, 10);
      if (!sequential || target === current + 1) {
        show(target);
        items[current].querySelector("legend").focus({ preventScroll: !paged });
      }
    });
  });
  document.getElementById("exam-prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("exam-next").addEventListener("click", function () { show(current + 1); });
  if (!paged) { document.querySelector(".exam-paging").hidden = true; }
  items.forEach(function (item) { item.querySelector("legend").tabIndex = -1; });

  // -- events -------------------------------------------------------------------------------
  items.forEach(function (item) {
    ["change", "input"].forEach(function (kind) {
      item.addEventListener(kind, function (event) {
        if (event.target.classList.contains("exam-flag")) {
          state.flags[item.dataset.slot] = event.target.checked;
          persist();
          refreshNavigator();
        } else if (event.target.name) {
          record(item);
        }
      });
    });
  });
  window.addEventListener("online", function () { retryDelay = 1000; flush(); });
  window.addEventListener("offline", function () { showStatus("offline"); });
  window.addEventListener("beforeunload", function (event) {
    if (pending().length && !stopped && !leaving) { event.preventDefault(); event.returnValue = ""; }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!window.confirm(text.confirm)) { return; }
    var button = document.getElementById("exam-submit");
    button.disabled = true;
    post(root.dataset.submitUrl, { saves: pending() }).then(function (result) {
      if (result.status === 200 || (result.status === 409 && ["finished", "time_up"].indexOf(result.data.error) !== -1)) {
        stopped = true;
        forget();
        window.location.assign(result.data.next || root.dataset.doneUrl);
      } else {
        button.disabled = false;
        handleRefusal(result.data);
        if (!stopped && !paused) { notice("submit_failed"); }
      }
    }).catch(function () {
      button.disabled = false;
      if (!signedOut) { notice("submit_failed"); }
    });
  });

  show(0);
  refreshNavigator();
  if (paused) { setPaused(true); }
  setInterval(tick, 1000);
  setInterval(poll, 15000);
  tick();
  poll();
  if (pending().length) { flush(); } else { showStatus("saved"); }
}());
