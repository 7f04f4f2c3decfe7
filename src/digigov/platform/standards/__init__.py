"""Standards as executable rules: the definition sets (定义集, terms), the data elements (数据元) the platform
validates against, the classification and grading scheme (DB33/T 2351 tags, L1–L4 grades, GB/T 43697 levels),
value normalisers, masking rules (脱敏) and the DuckDB functions that apply them in bulk.

Modules: ``registry`` (load and query the YAML data), ``scheme`` (grades and the crosswalk), ``normalize``
(per-value cleaning steps), ``validators`` (checksums and patterns), ``masking`` (masking rules in Python and
SQL) and ``sqlfuncs`` (vectorised UDFs and SQL builders for the ingest pipeline).
"""
