"""Load-by-id dependencies of the products service."""
