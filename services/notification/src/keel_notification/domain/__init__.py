"""The notification domain: plain Python, no framework imports."""
