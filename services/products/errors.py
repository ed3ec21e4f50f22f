"""Domain errors of the products service."""
