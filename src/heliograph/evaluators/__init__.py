"""Evaluators: LLM-as-judge and Python scorers, tried on demand or run on live traffic."""
