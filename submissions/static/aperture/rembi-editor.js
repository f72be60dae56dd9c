/* The REMBI editor: offline ontology pickers and autosave. The form works without it. */
(function () {
  "use strict";
  var form = document.getElementById("rembi-form");
  if (!form) { return; }
  var data = JSON.parse(document.getElementById("picker-data").textContent);
  var statusLine = document.getElementById("save-status");
  var csrf = (form.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  var timer = null;
  var dirty = false;
  var inflight = false;

  function byId(id) { return document.getElementById(id); }
  function setHint(input, text) {
    var hint = document.querySelector('[data-hint-for="' + input.id + '"]');
    if (hint) { hint.textContent = text; }
  }

  function syncPicker(input, quiet) {
    var prefix = input.dataset.prefix;
    var key = input.value.trim().toLowerCase();
    if (input.dataset.picker === "fbbi") {
      var idField = byId(prefix + "id");
      var term = data.fbbi[key];
      if (term) {
        if (idField && !quiet) { idField.value = term[0]; }
        setHint(input, "✓ FBbi term " + term[0] + (term[1].toLowerCase() !== key ? " (" + term[1] + ")" : ""));
      } else if (key) {
        setHint(input, "Not an FBbi imaging method yet: keep typing and choose from the list.");
      } else {
        setHint(input, "");
      }
    } else if (input.dataset.picker === "organism") {
      var taxon = byId(prefix + "taxon_id");
      var common = byId(prefix + "common_name");
      var organism = data.organisms[key];
      if (organism) {
        if (!quiet) {
          if (taxon) { taxon.value = organism[0]; }
          if (common && !common.value) { common.value = organism[2]; }
        }
        setHint(input, "✓ NCBI Taxonomy " + organism[0]);
      } else if (key) {
        setHint(input, "Not in the list: type its NCBI Taxonomy id below.");
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
      if (name && !name.value) { name.value = data.fbbiIds[value]; syncPicker(name, true); }
    } else if (match[2] === "taxon_id" && data.taxa[value]) {
      var scientific = byId(match[1] + "scientific_name");
      if (scientific && !scientific.value) { scientific.value = data.taxa[value][0]; syncPicker(scientific, true); }
    }
  }

  function showErrors(errors) {
    document.querySelectorAll("[data-error-for]").forEach(function (slot) {
      var messages = errors[slot.dataset.errorFor];
      slot.hidden = !messages;
      slot.textContent = messages ? messages.join(" ") : "";
      if (slot.id && /-error$/.test(slot.id)) {
        var field = byId(slot.id.replace(/-error$/, ""));
        if (field) {
          if (messages) { field.setAttribute("aria-invalid", "true"); } else { field.removeAttribute("aria-invalid"); }
        }
      }
    });
  }

  function save() {
    if (inflight) { timer = setTimeout(save, 400); return; }
    inflight = true;
    dirty = false;
    statusLine.textContent = "Saving…";
    var body = new FormData(form);
    body.delete("_action");
    fetch(form.dataset.autosave, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Autosave": "1", "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (response) {
      return response.json();
    }).then(function (result) {
      showErrors(result.errors || {});
      statusLine.textContent = result.saved
        ? "All changes saved at " + result.saved_at + "."
        : "Not saved yet: " + result.message + " Everything you typed is still here.";
      statusLine.dataset.state = result.saved ? "saved" : "invalid";
    }).catch(function () {
      dirty = true;
      statusLine.textContent = "Could not reach Aperture; your changes are still here. Retrying…";
      statusLine.dataset.state = "offline";
      timer = setTimeout(save, 5000);
    }).finally(function () { inflight = false; });
  }

  function changed(event) {
    var target = event.target;
    if (target.dataset && target.dataset.picker) { syncPicker(target, false); }
    if (target.id) { syncFromId(target); }
    dirty = true;
    statusLine.textContent = "Unsaved changes…";
    statusLine.dataset.state = "dirty";
    clearTimeout(timer);
    timer = setTimeout(save, 1200);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { dirty = false; clearTimeout(timer); });
  window.addEventListener("beforeunload", function (event) {
    if (dirty || inflight) { event.preventDefault(); event.returnValue = ""; }
  });
  form.querySelectorAll("[data-picker]").forEach(function (input) { syncPicker(input, true); });
  var summary = byId("error-summary");
  if (summary && !document.querySelector("[autofocus]")) { summary.focus(); }
})();
