/* The REMBI editor: autosave, adding and removing list items in place, offline ontology
   pickers, and a question before leaving with changes not yet saved. The form works without
   it: every button posts and the server answers with the page.

   The server keeps every valid value and holds a malformed one as typed (with its error), so
   a save never loses input; this script only has to send the form and draw the answer. */
(function () {
  "use strict";
  var form = document.getElementById("rembi-form");
  if (!form) { return; }
  var data = JSON.parse(document.getElementById("picker-data").textContent);
  var statusLine = document.getElementById("save-status");
  var csrf = (form.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  var timer = null;
  var dirty = false;
  var inflight = null;   // the save in flight (a Promise), if any
  var pendingErrors = {}; // errors of the field being typed in, shown when it is left

  function byId(id) { return document.getElementById(id); }
  function say(text, state) {
    statusLine.textContent = text;
    statusLine.dataset.state = state;
  }

  // --- Pickers: a match is confirmed as soon as it is typed; "not in the list" only once
  // the person leaves the field (while typing, a half-typed name is not a mistake).
  function setHint(input, text) {
    var hint = document.querySelector('[data-hint-for="' + input.id + '"]');
    if (hint) { hint.textContent = text; }
  }

  function syncPicker(input, fill, finished) {
    var prefix = input.dataset.prefix;
    var key = input.value.trim().toLowerCase();
    if (input.dataset.picker === "fbbi") {
      var term = data.fbbi[key];
      if (term) {
        var idField = byId(prefix + "id");
        if (idField && fill) { idField.value = term[0]; }
        setHint(input, "✓ FBbi term " + term[0] + (term[1].toLowerCase() !== key ? " (" + term[1] + ")" : ""));
      } else if (key && finished) {
        setHint(input, "Not an FBbi imaging method: choose one of the suggestions.");
      } else {
        setHint(input, "");
      }
    } else if (input.dataset.picker === "organism") {
      var organism = data.organisms[key];
      if (organism) {
        var taxon = byId(prefix + "taxon_id");
        var common = byId(prefix + "common_name");
        if (fill) {
          if (taxon) { taxon.value = organism[0]; }
          if (common && !common.value) { common.value = organism[2]; }
        }
        setHint(input, "✓ NCBI Taxonomy " + organism[0]);
      } else if (key && finished) {
        setHint(input, "Not one of the listed organisms: type its NCBI Taxonomy id below.");
      } else {
        setHint(input, "");
      }
    }
  }

  function syncFromId(input) {
    // Typing an FBbi id or a listed taxon id fills an empty name.
    var match = /^(.*-)(id|taxon_id)$/.exec(input.id);
    if (!match) { return; }
    var value = input.value.trim();
    if (match[2] === "id" && data.fbbiIds[value]) {
      var name = byId(match[1] + "name");
      if (name && !name.value) { name.value = data.fbbiIds[value]; syncPicker(name, false, true); }
    } else if (match[2] === "taxon_id" && data.taxa[value]) {
      var scientific = byId(match[1] + "scientific_name");
      if (scientific && !scientific.value) { scientific.value = data.taxa[value][0]; syncPicker(scientific, false, true); }
    }
  }

  // A keyed item's title names it in the study components' choices: keep them in step.
  function syncRefTitle(input) {
    var match = /^(biosamples|specimens|acquisitions)\.(\d+)\.title$/.exec(input.name || "");
    if (!match) { return; }
    var key = form.querySelector('input[name="' + match[1] + "." + match[2] + '.key"]');
    if (!key) { return; }
    form.querySelectorAll('select[data-ref="' + match[1] + '"] option').forEach(function (option) {
      if (option.value === key.value) { option.textContent = input.value.trim() || option.textContent; }
    });
  }

  // --- Errors beside the fields --------------------------------------------------------
  function showError(slot, messages) {
    slot.hidden = !messages;
    slot.textContent = messages ? messages.join(" ") : "";
    if (slot.id && /-error$/.test(slot.id)) {
      var field = byId(slot.id.replace(/-error$/, ""));
      if (field) {
        if (messages) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
      }
    }
  }

  function showErrors(errors) {
    var active = document.activeElement;
    pendingErrors = {};
    document.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var path = slot.dataset.errorFor;
      var messages = errors[path];
      if (messages && active && active.name === path && !slot.textContent) {
        pendingErrors[path] = messages; // still typing here: say it when they leave the field
        return;
      }
      showError(slot, messages);
    });
  }

  function revealPending(input) {
    var messages = pendingErrors[input.name];
    if (!messages) { return; }
    delete pendingErrors[input.name];
    var slot = document.querySelector('[data-error-for="' + input.name + '"]');
    if (slot) { showError(slot, messages); }
  }

  // --- Saving ------------------------------------------------------------------------
  function send(action) {
    var body = new FormData(form);
    body.delete("_action");
    if (action) { body.append("_action", action); }
    return fetch(form.dataset.autosave, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Autosave": "1", "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (result) { result.status = response.status; return result; });
    });
  }

  function drawn(result) {
    var summary = byId("error-summary");
    if (summary && result.saved && !Object.keys(result.errors || {}).length) { summary.hidden = true; }
    if (result.saved) {
      showErrors(result.errors || {});
      say(result.message, result.errors && Object.keys(result.errors).length ? "held" : "saved");
    } else {
      showErrors(result.errors || {});
      say(result.message + " Everything you typed is still here.", "invalid");
    }
  }

  function save() {
    clearTimeout(timer);
    if (inflight) { timer = setTimeout(save, 400); return inflight; }
    dirty = false;
    say("Saving…", "saving");
    inflight = send("").then(drawn).catch(function () {
      dirty = true;
      say("Could not reach Aperture; your changes are still here. Trying again…", "offline");
      timer = setTimeout(save, 5000);
    }).finally(function () { inflight = null; });
    return inflight;
  }

  function changed(event) {
    var target = event.target;
    if (target.name === "_action") { return; }
    if (target.dataset && target.dataset.picker) { syncPicker(target, true, event.type === "change"); }
    if (target.id) { syncFromId(target); }
    syncRefTitle(target);
    if (event.type === "change") { revealPending(target); }
    dirty = true;
    say("Unsaved changes…", "dirty");
    clearTimeout(timer);
    timer = setTimeout(save, 1200);
  }

  // --- Adding and removing list items in place -----------------------------------------
  function structural(button) {
    var action = button.value;
    button.disabled = true;
    clearTimeout(timer);
    var before = inflight || Promise.resolve();
    before.then(function () {
      dirty = false;
      say(action.indexOf("add:") === 0 ? "Adding…" : "Removing…", "saving");
      return send(action);
    }).then(function (result) {
      if (!result.saved) { button.disabled = false; drawn(result); return; }
      Object.keys(result.fragments || {}).forEach(function (id) {
        var old = byId(id);
        if (old) { old.outerHTML = result.fragments[id]; }
      });
      form.querySelectorAll("[data-picker]").forEach(function (input) { syncPicker(input, false, true); });
      drawn(result);
      var target = result.focus ? byId(result.focus) : null;
      var first = target ? target.querySelector("[autofocus]") || target.querySelector("input:not([type=hidden]), textarea, select") : null;
      if (first) { first.focus(); }
      else if (target === null) {
        var list = byId(Object.keys(result.fragments || {})[0] || "");
        var heading = list ? list.querySelector("h3") : null;
        if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      }
    }).catch(function () {
      button.disabled = false;
      dirty = true;
      say("Could not reach Aperture; nothing was added or removed. Try again.", "offline");
    });
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=_action]");
    if (!button || !/^(add|remove):/.test(button.value)) { return; }
    event.preventDefault();
    structural(button);
  });

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("focusout", function (event) { if (event.target.name) { revealPending(event.target); } });
  form.addEventListener("submit", function () { dirty = false; clearTimeout(timer); });

  // --- Leaving ---------------------------------------------------------------------------
  window.addEventListener("beforeunload", function (event) {
    if (dirty || inflight) { event.preventDefault(); event.returnValue = ""; }
  });
  window.addEventListener("pagehide", function () {
    // Leaving anyway: send what is not saved yet, so it is there when they come back.
    if (!dirty || !navigator.sendBeacon) { return; }
    var body = new FormData(form);
    body.delete("_action");
    body.append("_autosave", "1");
    navigator.sendBeacon(form.dataset.autosave, body);
    dirty = false;
  });

  form.querySelectorAll("[data-picker]").forEach(function (input) { syncPicker(input, false, true); });
  var summary = byId("error-summary");
  if (summary && !document.querySelector("[autofocus]")) { summary.focus(); }
  var focused = document.querySelector("[autofocus]");
  if (focused) { focused.scrollIntoView({ block: "center" }); }
})();
