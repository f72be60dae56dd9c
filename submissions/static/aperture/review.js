// Curation pages: one submit per click (the server refuses repeats anyway) and
// "Add another point" for the change-request formset.
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
  if (add && template && total) {
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      document.querySelector("[data-points]").insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      document.getElementById("id_points-" + index + "-field").focus();
    });
  }
})();
