// Review page: one submit per click (the server refuses repeats anyway), "Add another point"
// for the change-request formset, and "Request a change" beside a value, which opens the
// change-request form with a point about that field (without this script, the link's
// ?point= does the same through the server). Keeps the keyboard in the approval area when
// the conversion list's poll replaces it.
(function () {
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
  var add = document.querySelector("[data-add-point]");
  var template = document.getElementById("point-template");
  var total = document.getElementById("id_points-TOTAL_FORMS");

  function addRow() {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    document.querySelector("[data-points]").insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    return index;
  }

  if (add && template && total) {
    add.addEventListener("click", function () {
      var index = addRow();
      document.getElementById("id_points-" + index + "-field").focus();
    });
  }

  function freeRow() {
    var count = parseInt(total.value, 10);
    for (var i = 0; i < count; i += 1) {
      var field = document.getElementById("id_points-" + i + "-field");
      var file = document.getElementById("id_points-" + i + "-file");
      var message = document.getElementById("id_points-" + i + "-message");
      if (field && !field.value && (!file || !file.value) && message && !message.value) { return i; }
    }
    return addRow();
  }

  document.querySelectorAll("[data-request-change]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var details = document.getElementById("request-changes");
      if (!details || !total) { return; }
      event.preventDefault();
      details.open = true;
      var index = freeRow();
      var select = document.getElementById("id_points-" + index + "-field");
      select.value = link.dataset.requestChange;
      var message = document.getElementById("id_points-" + index + "-message");
      message.scrollIntoView({ block: "center" });
      message.focus();
    });
  });

  // "request changes" where approval is blocked: opens that form and moves focus into it.
  // (Delegated: the notice may arrive later, with the conversion list's poll.)
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-open-details]");
    if (!link) { return; }
    var details = document.getElementById(link.getAttribute("href").slice(1));
    if (!details) { return; }
    event.preventDefault();
    details.open = true;
    var first = details.querySelector("textarea, input:not([type=hidden]), select");
    (first || details.querySelector("summary")).focus();
  });

  // The conversion list's poll may replace what the approval area holds (a review copy
  // failed while the page was open). Its live region announces the change; a keyboard that
  // was in the area (say, typing the approval note) goes to the reason, not the page's top.
  var approveArea = document.getElementById("approve-area");
  var focusWasInArea = false;
  document.addEventListener("htmx:beforeSwap", function () {
    focusWasInArea = Boolean(approveArea && approveArea.contains(document.activeElement));
  });
  document.addEventListener("htmx:afterSwap", function () {
    if (!focusWasInArea) { return; }
    focusWasInArea = false;
    if (approveArea.contains(document.activeElement)) { return; }
    var heading = document.getElementById("approve-blocked-heading");
    if (heading) { heading.focus(); }
  });
})();
