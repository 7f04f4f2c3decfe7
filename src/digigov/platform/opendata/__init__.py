"""Open data (开放): grade-1 datasets on a public portal, a CKAN-compatible Action API and a DCAT-AP catalogue."""
