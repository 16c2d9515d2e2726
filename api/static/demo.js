/*
 * The demo page's own behaviour, kept out of the HTML so the page's Content-Security-Policy can forbid inline
 * script (api/security_headers.py). Each example question is a button: it opens the assistant and asks it.
 */
(function () {
  "use strict";
  document.querySelectorAll("[data-example]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (window.CSTAssist && window.CSTAssist.ask) window.CSTAssist.ask(button.textContent.trim());
    });
  });
})();
