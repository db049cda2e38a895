"""Heliograph: a self-hostable LLM gateway and observability platform, wire-compatible with Helicone."""

__version__ = "0.1.0"
