"""Tests of infocam_lit/modules."""
