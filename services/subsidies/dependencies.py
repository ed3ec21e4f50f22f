"""Load-by-id dependencies of the subsidies service."""
