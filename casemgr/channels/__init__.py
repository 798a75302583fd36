"""Inbound channels that turn requests into cases: e-mail (and, via the API, monitoring alerts)."""
