"""Events the subsidies service publishes: its public contract."""
