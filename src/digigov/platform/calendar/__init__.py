"""The working-day calendar's admin use cases (the calendar itself is core.workdays)."""
