"""Page routers of the console, one module per area; each only parses, calls a service and renders."""
