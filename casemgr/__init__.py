"""Casemgr: enterprise support case management with hardware RMA tracking."""

from casemgr.app import create_app

__all__ = ["create_app"]
