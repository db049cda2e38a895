"""Serving on many processes: `heliograph serve --workers N` (gateway workers, one
store process, and the supervisor that runs them)."""
