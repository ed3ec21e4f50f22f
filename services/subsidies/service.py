"""Business rules of the subsidies service; writes events to the outbox; never commits."""
