"""Support plans, coverage calendars and the contracts that cover assets."""
