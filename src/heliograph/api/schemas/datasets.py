"""Models of the dataset endpoints (Helicone's /v1/helicone-dataset and
/v1/experiment/dataset): request bodies in Helicone's camelCase, answers in snake_case.

The limits are heliograph.datasets.rules'.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from heliograph.api.schemas.envelope import UUID_PATTERN, Answer, Number
from heliograph.api.schemas.filters import RequestFilter
from heliograph.datasets.rules import (
    MAX_DESCRIPTION_CHARS,
    MAX_FILTER_ROWS,
    MAX_IMPORT_CHARS,
    MAX_INPUT_CHARS,
    MAX_INPUTS,
    MAX_NAME_CHARS,
    MAX_PAGE_ROWS,
    MAX_REQUESTS_PER_CALL,
    MAX_ROWS,
)

NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
VERSION_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
RequestId = Annotated[str, Field(pattern=UUID_PATTERN, description="A logged request's id")]
RequestIds = Annotated[list[RequestId], Field(max_length=MAX_REQUESTS_PER_CALL)]
RowRef = Annotated[
    str,
    Field(pattern=UUID_PATTERN, description="A row's id, or the request id it was copied from"),
]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=NAME_PATTERN)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_CHARS, pattern=TEXT_PATTERN)]
InputValue = Annotated[str, Field(max_length=MAX_INPUT_CHARS)]
InputName = Annotated[str, Field(min_length=1, max_length=200)]


class DatasetMeta(BaseModel):
    """Helicone's dataset metadata: the prompt version an experiment dataset is for."""

    promptVersionId: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = None
    inputRecordsIds: Annotated[list[RowRef], Field(max_length=MAX_REQUESTS_PER_CALL)] | None = None


class NewHeliconeDataset(BaseModel):
    """A dataset, with the requests to copy into it. Helicone's API names it `datasetName`,
    its docs' example `name`: either is taken (`datasetName` first)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [field], "properties": {field: {"type": "string"}}}
                for field in ("datasetName", "name")
            ]
        }
    )

    datasetName: Name | None = None
    name: Name | None = None
    description: Description = ""
    requestIds: RequestIds = []
    meta: DatasetMeta | None = None


class NewExperimentDataset(BaseModel):
    datasetName: Name
    requestIds: RequestIds = []
    datasetType: Literal["experiment", "helicone"] = "experiment"
    meta: DatasetMeta | None = None


class RandomDataset(BaseModel):
    """A dataset of the requests a filter matches, newest first (`offset`, `limit`)."""

    datasetName: Name
    filter: RequestFilter = "all"
    offset: Annotated[int, Field(ge=0, le=MAX_ROWS)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_FILTER_ROWS)] = 100


class DatasetCreated(Answer):
    datasetId: str


class DatasetsQuery(BaseModel):
    datasetIds: Annotated[list[RowRef], Field(max_length=1000)] | None = None


class ExperimentDatasetsQuery(BaseModel):
    promptVersionId: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = None


class RowsQuery(BaseModel):
    offset: Annotated[int, Field(ge=0, le=MAX_ROWS)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_ROWS)] = MAX_PAGE_ROWS


class Mutate(BaseModel):
    """Helicone's add and remove lists; `filter` (a filter AST, as /v1/request/query-clickhouse
    takes) adds up to `filterLimit` matching requests too, newest first."""

    addRequests: RequestIds = []
    removeRequests: Annotated[list[RowRef], Field(max_length=MAX_REQUESTS_PER_CALL)] = []
    filter: RequestFilter = None
    filterLimit: Annotated[int, Field(ge=1, le=MAX_FILTER_ROWS)] = 100


class ExperimentMutate(BaseModel):
    addRequests: RequestIds = []
    removeRequests: Annotated[list[RowRef], Field(max_length=MAX_REQUESTS_PER_CALL)] = []


class RowEdit(BaseModel):
    """New copies of a row's bodies: the logged request is never changed. A field left out
    keeps the row's copy."""

    requestBody: Any = None
    responseBody: Any = None


class DatasetImport(BaseModel):
    format: Literal["jsonl", "csv"]
    content: Annotated[str, Field(max_length=MAX_IMPORT_CHARS)]


class Imported(Answer):
    imported: int


class NewExperimentRow(BaseModel):
    inputs: Annotated[dict[InputName, InputValue], Field(max_length=MAX_INPUTS)]
    sourceRequest: RequestId | None = None


class HeliconeDatasetOut(Answer):
    id: str
    name: str
    description: str
    dataset_type: str
    meta: dict[str, Any] | None
    organization: str
    requests_count: int
    created_at: str
    updated_at: str


class ExperimentDatasetOut(Answer):
    id: str
    name: str
    created_at: str
    meta: dict[str, Any] | None


class DatasetRowOut(Answer):
    id: str
    dataset_id: str
    origin_request_id: str | None
    created_at: str
    updated_at: str
    model: str
    request_body: Any
    response_body: Any
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: Number | None
    request_created_at: str | None
    inputs: dict[str, Any] | None


class ExperimentInputOut(Answer):
    id: str
    inputs: dict[str, Any]
    dataset_row_id: str
    source_request: str | None
    prompt_version: str | None
    created_at: str
    autoInputs: list[Any]
