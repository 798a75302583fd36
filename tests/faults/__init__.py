"""Fault tests: a private PostgreSQL cluster restarted and stopped under load, the scheduler
through an outage, the API fuzzed under gunicorn, and a backup restored into a fresh home."""
