"""Every query of the products service."""
