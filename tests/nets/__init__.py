"""Tests of infocam_lit/nets."""
