"""The fault harness (issue 14 part 1, RELIABILITY.md): the whole platform as real processes on
loopback, a workload of uniquely identified writes through the gateway, faults injected on a
schedule, and a Jepsen-style check of every write. ``make chaos`` is the long run
(``python -m tests.chaos.run``); ``test_short_run.py`` is a short one in the suite."""
