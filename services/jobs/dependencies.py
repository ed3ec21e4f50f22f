"""Load-by-id dependencies of the jobs service."""
