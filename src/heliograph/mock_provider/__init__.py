"""A fake upstream LLM provider speaking OpenAI's and Anthropic's real wire formats.

Tests and benchmarks point the gateway (or an SDK) at it instead of api.openai.com or
api.anthropic.com; a request header `x-fake-behaviour` makes it slow, failing or broken.
See README.md beside this file for the routes, behaviours and token formulas.
"""

from .app import create_app
from .recording import Call
from .server import FakeProvider

__all__ = ["Call", "FakeProvider", "create_app"]
