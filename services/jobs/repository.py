"""Every query of the jobs service."""
