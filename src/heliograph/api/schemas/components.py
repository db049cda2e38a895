"""Named JSON schemas that pydantic cannot generate, referenced from request models.

Some bodies are validated by hand (the filter AST, score bodies) so that errors keep their
precise messages; their parameters are typed `Any` and carry `component("Name")`, which
`api/openapi.py` turns into a `$ref` to `#/components/schemas/Name`, taken from a module's
`COMPONENTS` table.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, WithJsonSchema

PLACEHOLDER = "x-heliograph-component"
JsonSchema = dict[str, Any]


def component(name: str) -> WithJsonSchema:
    """Marks an `Any` field or body as documented by the named component."""
    return WithJsonSchema({PLACEHOLDER: name})


def ref(name: str) -> JsonSchema:
    return {"$ref": f"#/components/schemas/{name}"}


def model_components(*models: type[BaseModel]) -> dict[str, JsonSchema]:
    """JSON schemas of documentation-only models, their nested models hoisted beside them."""
    found: dict[str, JsonSchema] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        found.update(schema.pop("$defs", {}))
        found[model.__name__] = schema
    return found
