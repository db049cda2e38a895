"""Models of the Prompt-2025 endpoints: Helicone's request bodies, prompts and versions.

Field names are Helicone's (camelCase in requests, snake_case in answers). The limits are
heliograph.prompts.rules', which the service checks again.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    model_validator,
)

from heliograph.api.schemas.envelope import Answer
from heliograph.errors import InvalidRequestError
from heliograph.prompts.rules import (
    ENVIRONMENT_PATTERN,
    MAX_COMMIT_MESSAGE_CHARS,
    MAX_ENVIRONMENT_CHARS,
    MAX_ID_CHARS,
    MAX_MODEL_CHARS,
    MAX_NAME_CHARS,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_PLAYGROUND_INPUTS,
    MAX_SEARCH_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_VERSIONS_PER_PROMPT,
    NAME_PATTERN,
    PLAIN_PATTERN,
    TEXT_PATTERN,
)

Id = Annotated[str, Field(min_length=1, max_length=MAX_ID_CHARS, pattern=PLAIN_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=NAME_PATTERN)]
Tag = Annotated[str, Field(max_length=MAX_TAG_CHARS, pattern=PLAIN_PATTERN)]
Tags = Annotated[
    list[Tag],
    Field(max_length=MAX_TAGS, description="Trimmed; empty ones and repeats are dropped"),
]
Environment = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_ENVIRONMENT_CHARS,
        pattern=ENVIRONMENT_PATTERN,
        description='"production", "staging", "development" or any name of letters, digits, '
        "`-`, `_` and `.`",
    ),
]


class PromptBody(BaseModel):
    """The prompt, in OpenAI's chat completion format (any other field is kept as sent);
    at most 1 MiB as JSON, else 413."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1, max_length=MAX_MODEL_CHARS, pattern=NAME_PATTERN)
    messages: list[dict[str, Any]] | None = None
    _order: list[str] = PrivateAttr(default_factory=list)  # the fields in the order sent

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        body = handler(data)
        if isinstance(data, dict):
            body._order = list(data)
        return body

    def as_json(self) -> dict[str, Any]:
        """The body as sent: the fields given, the unknown ones included, in the order sent
        (the gateway assembles calls from it: what goes upstream keeps that order)."""
        try:
            # Python mode: JSON mode would turn NaN (which the JSON parser lets in) into null.
            fields = self.model_dump(exclude_unset=True)
        except ValueError:  # pydantic's serializer stops at a depth JSON parsing allowed
            raise InvalidRequestError("promptBody: nested too deeply") from None
        ordered = {name: fields[name] for name in self._order if name in fields}
        return {**ordered, **fields}


class NewPrompt(BaseModel):
    name: Name
    tags: Tags = []
    promptBody: PromptBody


class NewVersion(BaseModel):
    promptId: Id
    promptVersionId: Id = Field(description="The version the new one follows")
    newMajorVersion: bool = Field(
        description="true: the next major version (n+1.0); false: the next minor version "
        "of promptVersionId's major version"
    )
    environment: Environment | None = Field(None, description="An environment it then serves")
    commitMessage: str = Field(max_length=MAX_COMMIT_MESSAGE_CHARS, pattern=TEXT_PATTERN)
    promptBody: PromptBody


class PromptQuery(BaseModel):
    search: str = Field(
        "",
        max_length=MAX_SEARCH_CHARS,
        pattern=PLAIN_PATTERN,
        description="Part of the name, any case",
    )
    tagsFilter: list[Tag] = Field(
        [], max_length=MAX_TAGS, description="Prompts with any of these tags"
    )
    page: int = Field(0, ge=0, le=MAX_PAGE, description="0-based")
    pageSize: int = Field(10, ge=1, le=MAX_PAGE_SIZE)


class PromptRef(BaseModel):
    promptId: Id


class VersionRef(BaseModel):
    promptVersionId: Id


class VersionsQuery(BaseModel):
    promptId: Id
    majorVersion: int | None = Field(None, ge=0, le=MAX_VERSIONS_PER_PROMPT)


class EnvironmentQuery(BaseModel):
    promptId: Id
    environment: Environment


class EnvironmentUpdate(BaseModel):
    promptId: Id
    promptVersionId: Id
    environment: Environment


class Rename(BaseModel):
    name: Name


class TagsUpdate(BaseModel):
    tags: Tags


class PromptCreated(Answer):
    id: str
    versionId: str


class PromptOut(Answer):
    """Helicone's `Prompt2025`."""

    id: str
    name: str
    tags: list[str]
    created_at: str


class VersionOut(Answer):
    """Helicone's `Prompt2025Version`."""

    id: str
    model: str
    prompt_id: str
    major_version: int
    minor_version: int
    commit_message: str
    environment: str | None = Field(
        description="An environment this version serves: the one asked for, else production, "
        "else the first by name; null when it serves none"
    )
    environments: list[str] = Field(description="Every environment it serves, by name")
    created_at: str
    s3_url: str = Field(
        description="A signed URL serving the body (JSON) without credentials for an hour: "
        "this server's, or an object store's presigned URL when bodies are kept in a bucket"
    )


class VersionWithBody(VersionOut):
    prompt_body: dict[str, Any] = Field(description="The body, as s3_url serves it")


class NewVersionOut(Answer):
    id: str


class VersionCounts(Answer):
    totalVersions: int
    majorVersions: int = Field(description="How many distinct major version numbers it has")


class PromptInputs(Answer):
    request_id: str
    version_id: str
    inputs: dict[str, Any]


class PlaygroundRunBody(BaseModel):
    promptId: Id
    promptVersionId: Id = Field(description="The version to run (of promptId)")
    inputs: dict[str, Any] = Field(
        {},
        max_length=MAX_PLAYGROUND_INPUTS,
        description="The version's variables, `{{hc:name:type}}`, by name",
    )


class PlaygroundRun(Answer):
    requestId: str = Field(description="The logged call's id (GET /v1/request/{requestId})")
    status: int = Field(description="The gateway's HTTP status: 200, or its error's")
    response: Any = Field(
        description="The gateway's answer: an OpenAI chat completion, or OpenAI's error "
        "object (`code` `invalid_prompt` when the version cannot be assembled)"
    )
