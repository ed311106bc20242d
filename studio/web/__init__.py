"""The studio on the web: its HTTP gate (who calls, what they may fetch) and its operations (health, metrics)."""
