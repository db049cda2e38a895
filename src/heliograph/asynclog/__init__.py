"""Logging calls made without the proxy: Helicone's async-log bodies and OTLP GenAI spans.

Both end as LoggedCall values built into rows by the same RowBuilder as proxied calls.
"""
