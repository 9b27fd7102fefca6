"""Tests of infocam_lit/report."""
