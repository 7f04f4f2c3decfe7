"""The warehouse: governed datasets in DuckDB, their versions, masking in served SQL, and lineage."""
