"""Prompt management (Helicone's Prompt-2025): prompts, immutable versions, environments and
the bodies behind their signed URLs."""
