"""Events the jobs service publishes: its public contract."""
