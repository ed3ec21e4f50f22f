"""Placements (hires) and their monthly employment confirmations."""
