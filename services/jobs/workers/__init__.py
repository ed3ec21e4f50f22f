"""The Weng'an worker registry: personal data stored encrypted, shown masked."""
