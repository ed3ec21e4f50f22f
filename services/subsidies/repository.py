"""Every query of the subsidies service."""
