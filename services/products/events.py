"""Events the products service publishes: its public contract."""
