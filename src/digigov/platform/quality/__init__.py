"""Quality control (质量管控): rules as data, evaluated over a dataset's clean table.

- `rules.py`: the rule format (YAML, validated with pydantic), the shipped element-level rules
  (`data/default_rules.yaml`) and which rules apply to a dataset's columns;
- `compile.py`: a (rule, column) pair as SQL predicates over the table (judged / failing);
- `evaluate.py`: every row-level check of a table in one DuckDB pass, with failing samples and a
  query listing every failing row; timeliness from the load times; scores from 0 to 100.

Kinds: completeness (完整性), validity (准确性), uniqueness (唯一性), consistency (一致性),
timeliness (及时性), referential (关联性), allowed_values / range / pattern (规范性).
"""
