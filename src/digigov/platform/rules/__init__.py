"""Early-warning rules (预警规则): SQL over the warehouse, CEL over bus events; signals."""
