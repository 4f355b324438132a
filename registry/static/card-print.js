// The card page's print button: shown only when scripts run (the PDF link works without them).
(function () {
  "use strict";
  var button = document.getElementById("print-card");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
}());
