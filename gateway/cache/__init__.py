"""The encrypted per-user cache, one entry per day (or per usage point)."""
