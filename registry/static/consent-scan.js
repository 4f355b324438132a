// The resident's consent page opened from the worker's consent QR: /c/<card_no>/detail#code=ABCDEFGH.
// The fragment never reaches a server; this script puts the code in the form, clears it from the address
// bar (so history, bookmarks and a shared link never hold it) and offers one button that posts the form.
// It never posts by itself: one scan and one tap, the tap being the resident's decision.
(function () {
  "use strict";
  var found = /^#code=([0-9A-Za-z-]{1,40})$/.exec(window.location.hash);
  if (!found) { return; }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var field = document.getElementById("consent_code");
  var panel = document.getElementById("consent-scanned");
  var button = document.getElementById("see-details");
  if (!field || !panel || !button) { return; }
  field.value = found[1];
  panel.hidden = false;
  button.focus();
}());
