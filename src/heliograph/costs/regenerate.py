"""Regenerate `helicone_registry.json` from a local checkout of Helicone's repository.

    python -m heliograph.costs.regenerate PATH/TO/helicone [--out FILE]

Reads every `endpoints.ts` and `model.ts`/`models.ts` under
`packages/cost/models/authors/` (nothing is downloaded) and writes each model id with its
providers' own ids and prices, sorted, so that a new registry shows as a readable diff. The
checkout's commit and date are recorded when it is a git work tree (or given with
`--commit` / `--date`). An endpoint whose price is not written as a literal is left out
and reported on stderr.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from heliograph.costs.registry import REGISTRY_FILE, REGISTRY_VERSION
from heliograph.costs.ts_literals import module_constants

AUTHORS = Path("packages/cost/models/authors")
MODEL_FILES = ("model.ts", "models.ts")


def read_registry(checkout: Path, skipped: list[str]) -> list[dict[str, Any]]:
    """The registry's models, each with its endpoints; what could not be read goes to
    `skipped` ("file: key: why")."""
    authors = checkout / AUTHORS
    if not authors.is_dir():
        raise FileNotFoundError(f"{authors} is not a directory: give the checkout's root")
    # model id -> the registry's provider name -> endpoint; a key seen again replaces the
    # first, as a later spread does in Helicone's index.ts.
    endpoints: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(authors.rglob("endpoints.ts")):
        unread: list[str] = []
        entries = _entries(path, unread)
        skipped += [f"{path.relative_to(checkout)}: {why}" for why in unread]
        for key, config in entries:
            model_id = key.rpartition(":")[0]
            endpoint = _endpoint(config) if model_id else None
            if endpoint is None:
                skipped.append(f"{path.relative_to(checkout)}: {key}: no literal price or id")
                continue
            endpoints.setdefault(model_id, {})[endpoint["provider"]] = endpoint
    about = _model_details(authors)
    return [
        {"id": model_id, **about.get(model_id, {}), "endpoints": _sorted(found.values())}
        for model_id, found in sorted(endpoints.items())
    ]


def _entries(path: Path, unread: list[str]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for value in module_constants(path.read_text("utf-8"), unread).values():
        if isinstance(value, dict):
            found += [(k, v) for k, v in value.items() if ":" in k and isinstance(v, dict)]
    return found


def _endpoint(config: Mapping[str, Any]) -> dict[str, Any] | None:
    provider, model = config.get("provider"), config.get("providerModelId")
    pricing = config.get("pricing")
    if not isinstance(provider, str) or not isinstance(model, str) or not model:
        return None
    if not isinstance(pricing, list) or not pricing:
        return None
    tiers: list[dict[str, Any]] = []
    inherited: dict[str, Any] = {}
    for tier in sorted(pricing, key=lambda t: t.get("threshold", 0) if isinstance(t, dict) else 0):
        if not isinstance(tier, dict) or not _is_number(tier.get("input")):
            return None
        if not _is_number(tier.get("output")):
            return None
        # A higher tier without cacheMultipliers keeps the base tier's (Helicone's rule).
        multipliers = tier.get("cacheMultipliers") or inherited
        inherited = multipliers if isinstance(multipliers, dict) else {}
        tiers.append(_tier(tier, inherited))
    return {"provider": provider, "provider_model_id": model, "tiers": tiers}


def _tier(tier: Mapping[str, Any], multipliers: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "threshold": int(tier.get("threshold", 0)),
        "input": tier["input"],
        "output": tier["output"],
    }
    # `read` is the older name of `cachedInput` (some Gemini endpoints still use it).
    fields = (("cache_read", "cachedInput"), ("cache_read", "read"), ("cache_write", "write5m"))
    for name, field in fields:
        if name not in found and _is_number(multipliers.get(field)):
            found[name] = _usd(tier["input"] * multipliers[field])
    for name, field in (("audio_input", "audio"), ("audio_output", "audioOutput")):
        if _is_number(tier.get(field)):
            found[name] = tier[field]
    return found


def _model_details(authors: Path) -> dict[str, dict[str, Any]]:
    about: dict[str, dict[str, Any]] = {}
    for name in MODEL_FILES:
        for path in sorted(authors.rglob(name)):
            for value in module_constants(path.read_text("utf-8")).values():
                for model_id, model in value.items() if isinstance(value, dict) else ():
                    if isinstance(model, dict) and isinstance(model.get("name"), str):
                        about[model_id] = _details(model)
    return about


def _details(model: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"name": model["name"]}
    if isinstance(model.get("author"), str):
        details["author"] = model["author"]
    if isinstance(model.get("contextLength"), int):
        details["context_length"] = model["contextLength"]
    return details


def _sorted(endpoints: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(endpoints, key=lambda e: (e["provider"], e["provider_model_id"]))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _usd(value: float) -> float:
    """A product of two prices without float noise (0.000003 * 0.1 -> 3e-07)."""
    return float(f"{value:.10g}")


def _git(checkout: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def document(checkout: Path, commit: str, date: str, skipped: list[str]) -> dict[str, Any]:
    """The whole `helicone_registry.json` document for the checkout."""
    models = read_registry(checkout, skipped)
    return {
        "version": REGISTRY_VERSION,
        "source": {
            "repository": "Helicone/helicone",
            "path": str(AUTHORS),
            "commit": commit or _git(checkout, "rev-parse", "HEAD") or "unknown",
            "date": date or _git(checkout, "log", "-1", "--format=%cI") or "unknown",
        },
        "unit": "USD per token",
        "models": models,
    }


def render(data: Mapping[str, Any]) -> str:
    """The document as JSON with one endpoint a line: a new registry diffs readably."""
    head = {k: v for k, v in data.items() if k != "models"}
    lines = [json.dumps(head, indent=1, ensure_ascii=False)[:-2] + ',\n "models": [']
    for index, model in enumerate(data["models"]):
        about = {k: v for k, v in model.items() if k != "endpoints"}
        lines.append("  " + json.dumps(about, ensure_ascii=False)[:-1] + ', "endpoints": [')
        rows = [json.dumps(e, ensure_ascii=False) for e in model["endpoints"]]
        lines.append(",\n".join("   " + row for row in rows))
        lines.append("  ]}" + ("," if index < len(data["models"]) - 1 else ""))
    return "\n".join([*lines, " ]", "}", ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m heliograph.costs.regenerate")
    parser.add_argument("checkout", type=Path, help="the root of a Helicone/helicone checkout")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(REGISTRY_FILE))
    parser.add_argument("--commit", default="", help="recorded as the source commit")
    parser.add_argument("--date", default="", help="recorded as the source date")
    args = parser.parse_args(argv)
    skipped: list[str] = []
    try:
        data = document(args.checkout, args.commit, args.date, skipped)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    text = render(data)
    partial = args.out.with_name(args.out.name + ".partial")
    partial.write_text(text, "utf-8")
    partial.replace(args.out)  # never a half-written registry
    endpoints = sum(len(m["endpoints"]) for m in data["models"])
    print(f"{len(data['models'])} models, {endpoints} endpoints -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
