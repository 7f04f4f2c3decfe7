"""Ingestion (归集): a department's file into the platform.

The reading stage (`readers.read_into`) turns a CSV, TSV, XLSX, JSON, NDJSON or Parquet file into a
DuckDB staging table of text columns: `_record` (the 1-based data record number) and one VARCHAR column
per header, every value text or NULL. It streams (a file larger than memory is fine), detects the
character encoding (UTF-8, with or without a BOM, GBK, GB18030, and others by charset-normalizer)
rather than assuming it, and accounts for every record: `rows_in == staged rows + len(rejects)`, each
rejected record with a reason. A file that cannot be read as a whole raises `FileRefused`, whose key
names a message in Chinese and English.

Modules: `readers` (read_into, Parquet), `formats` (result types, refusals and their messages, format
and dialect sniffing), `encoding` (head, hash and line count, encoding detection, chunked transcoding),
`delimited` (CSV and TSV through DuckDB, with the line count that checks it), `structured` (the batch
writer, XLSX, the Python CSV fallback), `jsonfiles` (JSON and NDJSON).
"""
