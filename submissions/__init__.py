"""Aperture: one Django app, one subpackage per domain (see docs/architecture.md)."""
