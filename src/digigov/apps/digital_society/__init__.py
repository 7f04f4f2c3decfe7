"""数字社会 (digital society) applications."""
