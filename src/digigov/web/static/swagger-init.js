/* Starts Swagger UI from the self-hosted bundle (its stock initializer is inline script, which the CSP forbids). */
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: (el && el.getAttribute("data-openapi-url")) || "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
