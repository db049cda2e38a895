"""Helicone's legacy prompt tags in a request body (what `@helicone/prompts`' `hpf` and
`hpstatic` write), read as Helicone's `parseJSXObject` reads them:

- `<helicone-prompt-input key="k">value</helicone-prompt-input>`: an input. Upstream gets
  `value`; the template holds `<helicone-prompt-input key="k" />`; the inputs `{"k": value}`
  (trimmed).
- `<helicone-prompt-static>text</helicone-prompt-static>`: upstream gets `text`; the
  template keeps the tags.
- A message (an object in `messages`) holding neither tag is an auto input: the template
  holds `<helicone-auto-prompt-input idx=N />` in its place (chat history does not make a
  new version), the message is kept in `auto_inputs`.

Bounded: at most MAX_TAGS tags (else the body is left alone), keys of 1-256 characters (a
longer one is not a tag), values nested at most MAX_DEPTH deep are read (deeper ones are
copied as they are). A tag without its closing tag is plain text. Every scan is linear in
the body's length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from heliograph.errors import HeliographError

INPUT_OPEN = re.compile(r'<helicone-prompt-input\s*key="([^"\x00-\x1f]{1,256})"\s*>')
INPUT_CLOSE = re.compile(r"</\s*helicone-prompt-input\s*>")
STATIC_TAG = re.compile(r"</?helicone-prompt-static>")
MARKER = "helicone-prompt-"
MAX_TAGS = 1000
MAX_DEPTH = 64


class TooManyTags(HeliographError):
    """Internal: the scan stops (the body is then left alone, never refused)."""


@dataclass(slots=True)
class Scan:
    """One body read: what goes upstream, the template, the inputs and the auto inputs."""

    upstream: Any = None
    template: Any = None
    inputs: dict[str, str] = field(default_factory=dict)
    auto_inputs: list[Any] = field(default_factory=list)
    tags: int = 0  # input and static tags found

    def count(self, found: int) -> None:
        self.tags += found
        if self.tags > MAX_TAGS:
            raise TooManyTags(f"more than {MAX_TAGS} prompt tags")


def input_tag(key: str) -> str:
    return f'<helicone-prompt-input key="{key}" />'


def auto_input_tag(index: int) -> str:
    return f"<helicone-auto-prompt-input idx={index} />"


def _text(text: str, scan: Scan) -> tuple[str, str]:
    """(what goes upstream, the template) of one string."""
    if MARKER not in text:
        return text, text
    upstream: list[str] = []
    template: list[str] = []
    position = 0
    while (opened := INPUT_OPEN.search(text, position)) is not None:
        closed = INPUT_CLOSE.search(text, opened.end())
        if closed is None:  # no closing tag from here on: the rest is plain text
            break
        scan.count(1)
        before, value = text[position : opened.start()], text[opened.end() : closed.start()]
        upstream += (before, value)
        template += (before, input_tag(opened.group(1)))
        scan.inputs[opened.group(1)] = value.strip()
        position = closed.end()
    upstream.append(text[position:])
    template.append(text[position:])
    sent, statics = STATIC_TAG.subn("", "".join(upstream))
    scan.count(statics)
    return sent, "".join(template)


def _value(value: Any, scan: Scan, depth: int) -> tuple[Any, Any]:
    """(what goes upstream, the template) of any JSON value."""
    if isinstance(value, str):
        return _text(value, scan)
    if depth >= MAX_DEPTH or not isinstance(value, dict | list):
        return value, value
    if isinstance(value, list):
        pairs = [_value(item, scan, depth + 1) for item in value]
        return [sent for sent, _ in pairs], [kept for _, kept in pairs]
    sent_object, template_object = {}, {}
    for key, item in value.items():
        sent_object[key], template_object[key] = _value(item, scan, depth + 1)
    return sent_object, template_object


def has_tags(value: Any, depth: int = 0) -> bool:
    """Whether a string within `value` mentions a Helicone prompt tag."""
    if isinstance(value, str):
        return MARKER in value
    if depth >= MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return any(has_tags(item, depth + 1) for item in value.values())
    if isinstance(value, list):
        return any(has_tags(item, depth + 1) for item in value)
    return False


def _messages(messages: list[Any], scan: Scan) -> tuple[list[Any], list[Any]]:
    sent: list[Any] = []
    template: list[Any] = []
    for message in messages:
        if isinstance(message, dict) and not has_tags(message, 2):
            sent.append(message)
            template.append(auto_input_tag(len(scan.auto_inputs)))
            scan.auto_inputs.append(message)
            continue
        sent_message, template_message = _value(message, scan, 2)
        sent.append(sent_message)
        template.append(template_message)
    return sent, template


def scan(request: dict[str, Any]) -> Scan | None:
    """Read a request body; None when it holds more than MAX_TAGS tags."""
    found = Scan()
    sent: dict[str, Any] = {}
    template: dict[str, Any] = {}
    try:
        for key, value in request.items():
            if key == "messages" and isinstance(value, list):
                sent[key], template[key] = _messages(value, found)
            else:
                sent[key], template[key] = _value(value, found, 1)
    except TooManyTags:
        return None
    found.upstream, found.template = sent, template
    return found
