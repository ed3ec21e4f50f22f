"""Plumbing shared by every service and the gateway: settings, database, events, errors,
identity, logging and health. No domain code lives here."""
