"""Domain errors of the subsidies service."""
