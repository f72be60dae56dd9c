// Quota admission check: ask the server whether files fit before sending any byte.
// window.apertureQuota.check(facilitySlug, files) -> Promise<{ok, status, body}>
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // The one size formatter (static aperture/units.js, loaded by base.html).
  var formatBytes = window.apertureUnits.formatBytes;

  function check(facility, files, url) {
    var manifest = Array.prototype.map.call(files, function (f) {
      return { name: f.name, size: f.size };
    });
    return fetch(url || "/api/v1/quota/check/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ facility: facility, files: manifest }),
    }).then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  function show(result, box) {
    box.className = "fit-result " + (result.ok ? "fit-ok" : "fit-refused");
    box.textContent = "";
    var p = document.createElement("p");
    if (result.ok) {
      var b = result.body;
      p.textContent = "These " + b.file_count + " file(s), " + formatBytes(b.total_bytes) +
        ", fit." + (b.remaining_bytes !== null ? " Room left now: " + formatBytes(b.remaining_bytes) + "." : "");
      box.appendChild(p);
      (b.warnings || []).forEach(function (w) {
        var warn = document.createElement("p");
        warn.className = "fit-warning";
        warn.textContent = w;
        box.appendChild(warn);
      });
    } else {
      p.textContent = (result.body && result.body.message) || "The check failed; try again.";
      box.appendChild(p);
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form.fit-check");
    if (!form) { return; }
    event.preventDefault();
    var input = form.querySelector("input[type=file]");
    var box = form.querySelector(".fit-result");
    if (!input.files.length) {
      box.className = "fit-result fit-refused";
      box.textContent = "Choose one or more files first.";
      input.focus();
      return;
    }
    box.className = "fit-result";
    box.textContent = "Checking…";
    check(form.dataset.facility, input.files, form.dataset.checkUrl).then(function (result) {
      show(result, box);
    }, function () {
      box.className = "fit-result fit-refused";
      box.textContent = "Could not reach the server; check your connection and try again.";
    });
  });

  window.apertureQuota = { check: check, formatBytes: formatBytes };
})();
