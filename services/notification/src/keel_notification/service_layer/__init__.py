"""Use cases of the notification service: one function per command, over ports."""
