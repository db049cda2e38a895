"""Experiments: prompt versions run over rows of inputs through the gateway, compared."""
