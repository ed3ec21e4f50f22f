"""`make demo`: a scenario engine that plays the program through the gateway's public API and
compares the platform's statistics with the scenario's published figures (see README.md)."""
