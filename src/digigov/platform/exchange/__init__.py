"""Data high-speed rail (数据高铁): each load's changes, delivered to subscribers under their grants."""
