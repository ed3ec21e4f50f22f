"""The figures the program reports."""
