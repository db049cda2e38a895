"""HQL: read-only SQL over an organization's own logged requests (Helicone's HQL)."""
