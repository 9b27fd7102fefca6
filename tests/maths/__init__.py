"""Tests of infocam_lit/maths."""
