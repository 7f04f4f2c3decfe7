/* digigov console behaviour. No inline script anywhere: the CSP forbids it, so all of it lives here. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Every htmx request carries the session's CSRF token.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  // An htmx error (4xx/5xx is not swapped by htmx 2) is shown instead of silently ignored.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var message = xhr.status + " " + xhr.statusText;
    try { message = JSON.parse(xhr.responseText).message || message; } catch (e) { /* an HTML page */ }
    window.alert(message);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var progress = document.getElementById("progress");

    // Forms marked data-once submit once: the button is disabled and the progress line shown.
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        if (progress) { progress.classList.add("busy"); }
      });
    });

    // Any ordinary form post shows the progress line until the next page arrives.
    document.querySelectorAll("form[method=post]").forEach(function (form) {
      form.addEventListener("submit", function () { if (progress) { progress.classList.add("busy"); } });
    });

    // Copy buttons: data-copy="#selector".
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (target && navigator.clipboard) {
          navigator.clipboard.writeText(target.textContent.trim()).then(function () {
            button.textContent = "✓";
          });
        }
      });
    });

    // A refusal needs a comment: ask for it before the post, rather than after.
    document.querySelectorAll("form.decide button[value=refuse]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        var input = button.form.querySelector("input[name=comment]");
        if (input && !input.value.trim()) {
          event.preventDefault();
          input.required = true;
          input.reportValidity();
        }
      });
    });
  });
})();

// Coming back through the browser's history restores the page as it was: clear the busy state.
window.addEventListener("pageshow", function () {
  var progress = document.getElementById("progress");
  if (progress) { progress.classList.remove("busy"); }
  document.querySelectorAll("form[data-once] button[type=submit]").forEach(function (b) { b.disabled = false; });
});
