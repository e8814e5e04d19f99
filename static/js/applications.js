// Application form: after autosave replaces a field's error region, mark the field
// invalid (or valid again) for assistive technology. The page works without this file.
(function () {
  "use strict";
  function syncField(region) {
    var inputId = region.id.replace(/_errors$/, "");
    var input = document.getElementById(inputId);
    if (!input) {
      return;
    }
    var hasErrors = region.querySelector(".errorlist") !== null;
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== region.id && id !== inputId + "_error";
    });
    if (hasErrors) {
      ids.unshift(region.id);
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    if (ids.length) {
      input.setAttribute("aria-describedby", ids.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
    if (region.parentElement) {
      region.parentElement.classList.toggle("field-error", hasErrors);
    }
  }
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var region = event.target;
    if (region && region.classList && region.classList.contains("field-errors")) {
      syncField(region);
    }
  });
})();
