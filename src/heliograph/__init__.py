"""Heliograph: a self-hostable LLM gateway and observability platform, Helicone-compatible."""

__version__ = "0.1.0"
