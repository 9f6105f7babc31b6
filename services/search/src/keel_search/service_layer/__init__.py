"""Use cases: one function per command, taking the ports it needs."""
