"""Indicators (指标): named aggregations by region and time, with history, for cockpits."""
