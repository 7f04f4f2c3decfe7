"""The applications (the "5" of 152): one plugin package per application, grouped by system."""
