"""Tests of infocam_lit/run."""
