"""数字政府 applications (digital government)."""
