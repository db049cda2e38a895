"""Helicone's legacy prompts: versions made from logged calls that carry `Helicone-Prompt-Id`."""
