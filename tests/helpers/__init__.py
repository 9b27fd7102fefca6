"""Builders and fixtures the tests share (no test file imports another)."""
