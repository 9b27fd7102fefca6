"""Tests of infocam_lit/metrics."""
