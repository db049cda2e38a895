"""What a model takes in and gives out (text, image, audio, video), by model-name prefix.

The price catalog says nothing of modalities; this table follows the providers' model
pages for the families the catalog prices. Most specific prefix first; a model no prefix
matches is text in, text out. Helicone's `/v1/models/multimodal` lists the models with
more than one input or output modality.
"""

from __future__ import annotations

TEXT, IMAGE, AUDIO, VIDEO = "text", "image", "audio", "video"
Modality = tuple[tuple[str, ...], tuple[str, ...]]  # (inputs, outputs)

_VISION: Modality = ((TEXT, IMAGE), (TEXT,))
_VOICE: Modality = ((TEXT, AUDIO), (TEXT, AUDIO))
MODALITIES: tuple[tuple[str, Modality], ...] = (
    ("gpt-4o-audio", _VOICE),
    ("gpt-4o-mini-audio", _VOICE),
    ("gpt-4o-realtime", _VOICE),
    ("gpt-4o-mini-realtime", _VOICE),
    ("gpt-audio", _VOICE),
    ("gpt-realtime", _VOICE),
    ("gpt-4o-mini-tts", ((TEXT,), (AUDIO,))),
    ("gpt-4o-transcribe", ((AUDIO,), (TEXT,))),
    ("gpt-4o-mini-transcribe", ((AUDIO,), (TEXT,))),
    ("gpt-image", ((TEXT, IMAGE), (IMAGE,))),
    ("gpt-4o", _VISION),
    ("gpt-4.1", _VISION),
    ("gpt-4-turbo", _VISION),
    ("gpt-5", _VISION),
    ("o1-mini", ((TEXT,), (TEXT,))),
    ("o1", _VISION),
    ("o3-mini", ((TEXT,), (TEXT,))),
    ("o3", _VISION),
    ("o4-mini", _VISION),
    ("claude-2", ((TEXT,), (TEXT,))),
    ("claude-instant", ((TEXT,), (TEXT,))),
    ("claude", _VISION),
    ("gemini", ((TEXT, IMAGE, AUDIO, VIDEO), (TEXT,))),
    ("grok-2-vision", _VISION),
    ("grok-4", _VISION),
    ("llama-4", _VISION),
    ("pixtral", _VISION),
)


def modalities(model: str) -> Modality:
    """The model's (inputs, outputs); text only when the table does not know it."""
    name = model.lower()
    for prefix, found in MODALITIES:
        if name.startswith(prefix):
            return found
    return ((TEXT,), (TEXT,))


def is_multimodal(model: str) -> bool:
    inputs, outputs = modalities(model)
    return len(inputs) > 1 or len(outputs) > 1
