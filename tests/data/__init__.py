"""Tests of infocam_lit/data."""
