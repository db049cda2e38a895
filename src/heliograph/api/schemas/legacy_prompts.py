"""Models of Helicone's legacy prompt endpoints (`/v1/prompt/...`, its jawn
`PromptController`): request bodies, answers, and the JSON schemas of their filters.

Field names are Helicone's. The filters are validated by prompts/legacy/filters.py (typed
`Any` here, documented by the components below): `prompt_v2` leaves for prompts,
`prompts_versions` leaves for versions.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from heliograph.api.schemas.components import JsonSchema, component, ref
from heliograph.api.schemas.envelope import Answer
from heliograph.api.schemas.filters import filter_branch
from heliograph.prompts.legacy.filters import PROMPTS, VERSIONS, FilterTable
from heliograph.prompts.legacy.reads import MAX_LISTED_PROMPTS, MAX_LISTED_VERSIONS
from heliograph.store.filters import MAX_CONDITIONS, MAX_DEPTH, MAX_LEAVES

MAX_INPUTS = 1000
MAX_LISTED_INPUTS = 1000

PromptsFilter = Annotated[Any, component("PromptsFilterNode")]
PromptVersionsFilter = Annotated[Any, component("PromptVersionsFilterNode")]
_OPERATORS = {"text": "TextOperators", "number": "NumberOperators"}


def _filter_components(context: str, table: FilterTable, what: str) -> dict[str, JsonSchema]:
    node, fields = f"{context}FilterNode", f"{context}ToOperators"
    return {
        node: {
            "anyOf": [ref(f"{context}FilterLeaf"), ref(f"{context}FilterBranch"), {"const": "all"}],
            "description": f'"all", a leaf or a branch over {what}; at most {MAX_DEPTH} levels '
            f"deep, {MAX_LEAVES} leaves and {MAX_CONDITIONS} conditions",
        },
        f"{context}FilterLeaf": {
            "type": "object",
            "properties": {table.name: ref(fields)},
            "additionalProperties": False,
            "description": "table -> field -> operator -> value ({} matches everything)",
        },
        f"{context}FilterBranch": filter_branch(node),
        fields: {
            "type": "object",
            "properties": {name: ref(_OPERATORS[kind]) for name, (_, kind) in table.fields.items()},
            "additionalProperties": False,
            "minProperties": 1,
            "description": f"Fields of {what}; every one given must hold",
        },
    }


COMPONENTS = _filter_components("Prompts", PROMPTS, "prompts") | _filter_components(
    "PromptVersions", VERSIONS, "prompt versions"
)


class PromptsQuery(BaseModel):
    filter: PromptsFilter = Field(
        "all", description=f"Which prompts; the newest {MAX_LISTED_PROMPTS} matching are listed"
    )


class TimeFilter(BaseModel):
    start: str
    end: str


class PromptQuery(BaseModel):
    timeFilter: TimeFilter | None = Field(None, description="Accepted and not used, as in Helicone")


class VersionsQuery(BaseModel):
    filter: PromptVersionsFilter = Field(
        "all", description=f"Which versions; the newest {MAX_LISTED_VERSIONS} matching are listed"
    )
    includeExperimentVersions: bool = Field(
        False, description="Accepted; there are no experiment versions here"
    )


class CompileQuery(VersionsQuery):
    inputs: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_INPUTS,
        description="Each `<helicone-prompt-input key=... />` becomes its input (missing: '')",
    )


class InputsQuery(BaseModel):
    limit: int = Field(ge=1, le=MAX_LISTED_INPUTS)
    random: bool = Field(False, description="Drawn at random instead of the newest")


class LegacyPromptOut(Answer):
    """Helicone's `PromptsResult`."""

    id: str
    user_defined_id: str = Field(description="The Helicone-Prompt-Id the prompt was logged with")
    description: str | None = Field(description="Always null: logged prompts have none")
    pretty_name: str | None = Field(description="Always null: logged prompts have none")
    created_at: str
    major_version: int = Field(description="The newest version's")


class LegacyPromptDetailOut(LegacyPromptOut):
    """Helicone's `PromptResult`."""

    latest_version_id: str
    latest_model_used: str
    last_used: str | None = Field(description="When a call last used the newest version")
    versions: list[str] = Field(description="Version ids, newest first (at most 100)")


class LegacyVersionOut(Answer):
    """Helicone's `PromptVersionResult`."""

    id: str
    minor_version: int
    major_version: int
    prompt_v2: str = Field(description="The prompt's id")
    model: str
    helicone_template: Any = Field(
        description='The body with <helicone-prompt-input key="..." /> where inputs were and '
        "<helicone-auto-prompt-input idx=N /> where untagged messages were"
    )
    created_at: str
    metadata: dict[str, Any] = Field(
        description='{"isProduction": true} on the newest version: what compile serves'
    )


class LegacyInputOut(Answer):
    """Helicone's `PromptInputRecord`."""

    id: str
    inputs: dict[str, str]
    source_request: str = Field(description="The logged request's id")
    prompt_version: str
    created_at: str
    auto_prompt_inputs: list[Any] = Field(description="The call's untagged messages")


class CompiledOut(Answer):
    """Helicone's `PromptVersionResultCompiled`."""

    id: str
    minor_version: int
    major_version: int
    prompt_v2: str
    model: str
    prompt_compiled: Any = Field(description="The template filled in: a request body")
