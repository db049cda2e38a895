"""A logged request's assets: the images its bodies carry, named as Helicone names them.

Helicone's worker cuts images out of bodies before storing them (OpenAI's `image_url`
parts, Anthropic's `image` blocks, an image model's `data[].url`), keeps each in S3 under
an asset id and leaves `<helicone-asset-id key="..."/>` in the body; the request row lists
the ids (`asset_ids`) and `/v1/request/{id}/assets/{assetId}` signs a URL to one.
Heliograph keeps bodies whole, so the images are found in them when read, with ids derived
from the request id and the image's place (the same ids at every read), and an asset's
URL is the one the body holds: the image's own http(s) URL, or a `data:` URL for an image
sent inline (base64), which opens without credentials like Helicone's signed URL.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

# Past this many images in one request, the rest are not listed (a bound on the answer).
MAX_ASSETS = 100


def _part_url(part: dict[str, Any]) -> str | None:
    """The image URL of one content part, in any of the shapes Helicone extracts."""
    kind = part.get("type")
    if kind in ("image_url", "input_image"):  # Chat Completions; the Responses API
        image = part.get("image_url")
        if isinstance(image, dict):
            image = image.get("url")
        return image if isinstance(image, str) else None
    if kind == "image":  # Anthropic: {"source": {"type": "base64" | "url", ...}}
        source = part.get("source")
        if not isinstance(source, dict):
            return None
        if source.get("type") == "url":
            return source.get("url") if isinstance(source.get("url"), str) else None
        media, data = source.get("media_type"), source.get("data")
        if isinstance(media, str) and isinstance(data, str):
            return f"data:{media};base64,{data}"
    return None


def _request_urls(body: Any) -> Iterator[str]:
    if not isinstance(body, dict):
        return
    for key in ("messages", "input"):
        messages = body.get(key)
        if not isinstance(messages, list):
            continue
        for message in messages:
            content = message.get("content") if isinstance(message, dict) else None
            if not isinstance(content, list):
                continue
            for part in content:
                url = _part_url(part) if isinstance(part, dict) else None
                if url:
                    yield url


def _response_urls(body: Any) -> Iterator[str]:
    """An image model's answer (DALL-E, gpt-image): `data[].url` or `data[].b64_json`."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return
    for item in data:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("url"), str):
            yield item["url"]
        elif isinstance(item.get("b64_json"), str):
            yield f"data:image/png;base64,{item['b64_json']}"


def asset_id(request_id: str, index: int) -> str:
    """The id of the request's `index`-th image (0: the first), the same at every read."""
    return str(uuid.uuid5(uuid.UUID(request_id), f"asset-{index}"))


def request_assets(request_id: str, request_body: Any, response_body: Any) -> dict[str, str]:
    """The request's images, id -> URL, in body order (request first), at most MAX_ASSETS."""
    try:
        uuid.UUID(request_id)
    except (TypeError, ValueError):
        return {}
    assets: dict[str, str] = {}
    urls = (*_request_urls(request_body), *_response_urls(response_body))
    for index, url in enumerate(urls[:MAX_ASSETS]):
        assets[asset_id(request_id, index)] = url
    return assets
