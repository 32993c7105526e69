// Starts the Scalar API reference on /docs against this server's own OpenAPI document.
// Fonts and the proxy are off so the page needs nothing from the internet.
Scalar.createApiReference("#app", {
  url: "/openapi.json",
  withDefaultFonts: false,
  hideClientButton: true,
});
