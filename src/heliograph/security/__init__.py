"""LLM security's base tier: a local prompt-injection and jailbreak classifier."""
