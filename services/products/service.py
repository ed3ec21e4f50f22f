"""Business rules of the products service; writes events to the outbox; never commits."""
