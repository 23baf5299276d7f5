// Small progressive enhancements. Loaded as a file: the Content-Security-Policy
// allows no inline script or event handler attribute.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // Secret links shown in read-only fields: one tap selects the whole link for copying.
  document.querySelectorAll("input[data-select-on-focus]").forEach(function (input) {
    input.addEventListener("focus", function () { input.select(); });
  });
});
