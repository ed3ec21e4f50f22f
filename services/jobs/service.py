"""Business rules of the jobs service; writes events to the outbox; never commits."""
