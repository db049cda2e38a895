"""The OpenAPI document: FastAPI's, with errors described as the API really answers them.

FastAPI documents a 422 validation error that this API never sends (bad input is a 400 in
Helicone's `{"data": null, "error": "..."}` envelope), and knows nothing of the envelope
errors every authenticated endpoint can answer. Both are put right here, once, for every
operation.

Request fields validated by hand (the filter AST, score bodies) are typed `Any` in Python and
carry a placeholder naming their JSON schema (api/schemas/components.py); the placeholders
become `$ref`s here, and the named schemas (the `COMPONENTS` table of any module of
api/schemas/) join the document's components.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from heliograph.api import schemas
from heliograph.api.schemas.components import PLACEHOLDER, JsonSchema, ref

ERROR_ENVELOPE = {
    "type": "object",
    "properties": {
        "data": {"type": "null"},
        "error": {"type": "string"},
    },
    "required": ["data", "error"],
}
ERROR_STATUSES = {
    "400": "Invalid request: the message names what is wrong",
    "401": "Missing or invalid API key",
    "403": "Forbidden (a signed-in session without its CSRF token)",
    "404": "Not found, or not this organization's",
}


def install_openapi(api: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            _name_known_providers(document, sorted(api.state.services.router.providers))
            api.openapi_schema = _with_envelope_errors(_with_components(document))
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]


def _with_envelope_errors(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorEnvelope"] = ERROR_ENVELOPE
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    reference = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return document


def _name_known_providers(document: dict[str, Any], providers: list[str]) -> None:
    """Provider keys (and the vault's) are for the providers this server is configured with."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, field in (
        ("NewProviderKey", "provider"),
        ("AddVaultKeyParams", "provider"),
        ("CreateProviderKeyRequest", "providerName"),
    ):
        if name in schemas:
            schemas[name]["properties"][field]["enum"] = providers


def named_schemas() -> dict[str, JsonSchema]:
    """Every module's `COMPONENTS` in api/schemas/; a name defined twice differently is a bug."""
    found: dict[str, JsonSchema] = {}
    for info in pkgutil.iter_modules(schemas.__path__):
        module = importlib.import_module(f"{schemas.__name__}.{info.name}")
        for name, schema in getattr(module, "COMPONENTS", {}).items():
            if found.setdefault(name, schema) != schema:
                raise ValueError(f"Two different JSON schemas are named {name!r}")
    return found


def _with_components(document: dict[str, Any]) -> dict[str, Any]:
    document.setdefault("components", {}).setdefault("schemas", {}).update(named_schemas())
    return _resolve_placeholders(document)  # type: ignore[no-any-return]


def _resolve_placeholders(node: Any) -> Any:
    if isinstance(node, dict):
        resolved = {key: _resolve_placeholders(value) for key, value in node.items()}
        name = resolved.pop(PLACEHOLDER, None)
        if name is not None:
            resolved.pop("title", None)
            resolved = ref(name) | resolved
        return resolved
    if isinstance(node, list):
        return [_resolve_placeholders(item) for item in node]
    return node
