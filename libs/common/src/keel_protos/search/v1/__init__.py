"""Generated from protos/ by scripts/protos.py (`make protos`); do not edit."""
