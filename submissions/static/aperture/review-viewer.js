// Review page: "Request a change about this image". Reads what the OME-Zarr viewer shows
// (section.apertureViewer, set by frontend/viewer/viewer.js), takes a PNG of the canvas,
// and starts a change-request point bound to that file with the view and the screenshot
// (the point's hidden image_view field and file input). The curator writes the message and
// sends the change request as usual; the server checks the PNG and the view again.
(function () {
  var button = document.querySelector("[data-image-change]");
  var help = document.querySelector("[data-image-change-help]");
  var section = document.getElementById("review-viewer");
  var total = document.getElementById("id_points-TOTAL_FORMS");
  if (!button || !section || !total) { return; }

  function viewer() { return section.apertureViewer || null; }

  function showWhenReady() {
    var ready = viewer() && section.dataset.state === "ready";
    if (ready) { button.hidden = false; if (help) { help.hidden = false; } }
  }
  new MutationObserver(showWhenReady).observe(section, { attributes: true, attributeFilter: ["data-state"] });
  showWhenReady();

  function pngBlob(dataUrl) {
    var binary = atob(dataUrl.split(",", 2)[1] || "");
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return new Blob([bytes], { type: "image/png" });
  }

  function freeRow() {
    var count = parseInt(total.value, 10);
    for (var i = 0; i < count; i += 1) {
      var field = document.getElementById("id_points-" + i + "-field");
      var file = document.getElementById("id_points-" + i + "-file");
      var message = document.getElementById("id_points-" + i + "-message");
      if (field && !field.value && file && !file.value && message && !message.value) { return i; }
    }
    document.querySelector("[data-add-point]").click();
    return parseInt(total.value, 10) - 1;
  }

  function describe(view) {
    var parts = ["series " + (view.series + 1), "z-plane " + (view.z + 1), "time point " + (view.t + 1)];
    var names = view.channels.map(function (c) { return c.name || "channel " + (c.index + 1); });
    var text = parts.join(", ");
    if (names.length) { text += "; " + (names.length === 1 ? "channel " : "channels ") + names.join(", "); }
    return text;
  }

  button.addEventListener("click", function () {
    var shown = viewer() && viewer().currentView();
    if (!shown || !shown.fileId) { return; }
    var blob = pngBlob(viewer().screenshot());
    var details = document.getElementById("request-changes");
    details.open = true;
    var index = freeRow();
    var id = function (name) { return document.getElementById("id_points-" + index + "-" + name); };
    id("file").value = shown.fileId;
    id("image_view").value = JSON.stringify({
      series: shown.series, z: shown.z, t: shown.t, channels: shown.channels,
    });
    var transfer = new DataTransfer();
    transfer.items.add(new File([blob], "screenshot.png", { type: "image/png" }));
    id("screenshot").files = transfer.files;
    var row = id("file").closest(".point-row");
    var box = row.querySelector("[data-point-image]");
    var preview = row.querySelector("[data-point-image-preview]");
    var text = "Screenshot attached of " + shown.image + ": " + describe(shown) + ".";
    preview.src = URL.createObjectURL(blob);
    preview.alt = text;
    row.querySelector("[data-point-image-text]").textContent = text;
    box.hidden = false;
    var message = id("message");
    message.scrollIntoView({ block: "center" });
    message.focus();
  });
})();
