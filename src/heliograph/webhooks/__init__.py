"""Webhooks: each logged request of an organization POSTed, signed, to its destinations."""
