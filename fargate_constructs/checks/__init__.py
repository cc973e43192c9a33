"""Synth-time checks over the whole app."""
