// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Language switcher: submit on change (the button stays for no-JS use).
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (select) {
      select.form.requestSubmit();
    }
  });
  // htmx sends the CSRF token with every request.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) {
      event.detail.headers["X-CSRFToken"] = token.content;
    }
  });
})();
