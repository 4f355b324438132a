// The sanction form shows what applies: the card number for a worker, the USCC and named persons for a
// company, and the decision's number and date for anything but a serious listing (decided after its notice).
// Hidden fields are disabled too, so they are not sent. Without scripts every field shows and the server
// says what does not apply. Inline scripts are not allowed (CSP).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("sanction-form");
  if (!form) {
    return;
  }
  function show(el, on) {
    el.hidden = !on;
    if (el.tagName === "FIELDSET") {
      el.disabled = !on;
    } else {
      el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !on; });
    }
  }
  function update() {
    var chosen = form.querySelector("input[name=subject_kind]:checked");
    form.querySelectorAll("[data-subject]").forEach(function (el) {
      show(el, !chosen || chosen.value === el.getAttribute("data-subject"));
    });
    var kind = form.querySelector("#kind");
    form.querySelectorAll("[data-not-for-listing]").forEach(function (el) {
      show(el, !kind || kind.value !== "serious_list");
    });
  }
  form.addEventListener("change", update);
  update();
});
