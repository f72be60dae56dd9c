/* Byte sizes as Aperture writes them everywhere: decimal units (1 kB = 1,000 bytes, as
   storage vendors and quotas count), one decimal place. The same function as
   submissions/core/units.py format_bytes (tests/core/test_units.py runs both on the same
   numbers). Loaded on every page by base.html: window.apertureUnits.formatBytes(n). */
(function () {
  "use strict";
  var UNITS = ["B", "kB", "MB", "GB", "TB", "PB"];

  function formatBytes(bytes) {
    var value = Number(bytes);
    if (!isFinite(value)) { return "—"; }
    for (var i = 0; i < UNITS.length; i += 1) {
      if (Math.abs(value) < 1000 || i === UNITS.length - 1) {
        return i === 0 ? Math.trunc(value) + " B" : value.toFixed(1) + " " + UNITS[i];
      }
      value /= 1000;
    }
    return String(bytes) + " B";
  }

  window.apertureUnits = { formatBytes: formatBytes };
})();
