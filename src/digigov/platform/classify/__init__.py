"""Classification scan (分类分级字段识别): detect what each column of a table holds from its values.

``detect`` scans a DuckDB table column by column in one vectorised pass (patterns in SQL, checksums from
python-stdnum, phonenumbers and cpca on the pattern hits only) and can label single cells; ``names`` judges
whether short Chinese words are person names from their surname distribution; ``suggest`` combines the
headers (aliases of the standard data elements) with the content scan into a mapping suggestion.
"""
