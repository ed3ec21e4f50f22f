"""Domain errors of the jobs service."""
