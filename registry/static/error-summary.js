// Move the focus to a form's error summary when the page loads, so a screen reader reads the reasons first
// and a keyboard user starts from the links to the fields. `autofocus` on the box does the same in browsers
// that honour it on a non-control; this covers the others. Inline scripts are not allowed (CSP).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary && document.activeElement !== summary) {
    summary.focus();
  }
});
