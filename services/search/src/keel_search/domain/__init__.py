"""The search domain: plain Python, no framework imports."""
