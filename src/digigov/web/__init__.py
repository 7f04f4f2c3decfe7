"""The web console: FastAPI app factory, page routes, Jinja2 templates and static assets."""
