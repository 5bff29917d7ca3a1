"""Helpers for the test suite (not imported by the application)."""
