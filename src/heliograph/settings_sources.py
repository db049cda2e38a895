"""Settings read from their sources, each overriding the one before: the registry's defaults
(config.py), a TOML file, the environment, the command line.

Nothing is taken on trust: a value of the wrong type, out of its range or not among its
choices, an unknown `HELIOGRAPH_*` variable and an unknown TOML key each stop the reading
with a one-line ConfigError naming the setting and where the value came from.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from heliograph.config import (
    DEFAULT_PROVIDER_BASE_URLS,
    ENV_PREFIX,
    ConfigError,
    Settings,
    scalar_settings,
    setting_info,
)
from heliograph.provider_specs import SPECS
from heliograph.setting_values import closest, coerced, shown_number

CONFIG_VARIABLE = ENV_PREFIX + "CONFIG"
_DEFAULTS = Settings()
_KINDS = {name: type(getattr(_DEFAULTS, name)) for name in scalar_settings()}
_PROVIDER_FIELDS = ("base_url", "api_key")
_VARIABLES = {ENV_PREFIX + name.upper(): name for name in _KINDS}
# HELIOGRAPH_ variables read elsewhere: the config file's path, the password of `heliograph
# users create` (click reads it) and the test suite's own, which a developer's shell may hold.
_OTHER_VARIABLES = frozenset(
    {
        CONFIG_VARIABLE,
        ENV_PREFIX + "USER_PASSWORD",
        ENV_PREFIX + "TEST_POSTGRES_URL",
        ENV_PREFIX + "TEST_CLICKHOUSE_URL",
        ENV_PREFIX + "TEST_CHROMIUM",
    }
)
# Any provider NAME is allowed in HELIOGRAPH_<NAME>_BASE_URL and _API_KEY; the known
# providers' variables are what a misspelled one is compared with.
_SUGGESTED_VARIABLES = sorted(
    {*_VARIABLES, *_OTHER_VARIABLES}
    | {
        f"{ENV_PREFIX}{spec.name.upper()}_{part.upper()}"
        for spec in SPECS
        for part in _PROVIDER_FIELDS
    }
)


@dataclass
class _Layered:
    """Settings read so far, each source overriding the ones before it."""

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # where each of `values` came from
    base_urls: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PROVIDER_BASE_URLS))
    api_keys: dict[str, str] = field(default_factory=dict)

    def take(self, name: str, raw: Any, source: str) -> None:
        try:
            self.values[name] = coerced(_KINDS[name], raw)
        except ValueError as exc:
            raise _refusal(name, source, str(exc), raw) from None
        self.sources[name] = source


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge settings: defaults < config file < environment < explicit overrides (the CLI,
    whose option names them in errors)."""
    environ = os.environ if environ is None else environ
    _refuse_unknown_variables(environ)
    layered = _Layered()
    if config_file:
        _read_file(layered, config_file, "")
    elif environ.get(CONFIG_VARIABLE):
        _read_file(layered, environ[CONFIG_VARIABLE], f" (named by {CONFIG_VARIABLE})")
    _read_environ(layered, environ)
    for name, value in (overrides or {}).items():
        if value is not None:
            layered.take(name, value, setting_info(name).option or _option(name))
    settings = replace(
        _DEFAULTS,
        provider_base_urls=layered.base_urls,
        provider_api_keys=layered.api_keys,
        **layered.values,
    )
    _check(settings, layered.sources)
    return settings


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _refusal(name: str, source: str, requirement: str, value: Any) -> ConfigError:
    """The one-line error for a value of setting `name` read from `source`."""
    shown = "" if setting_info(name).secret else f", not {value!r}"  # a secret is never echoed
    return ConfigError(f"setting {name!r} from {source} {requirement}{shown}")


def _check(settings: Settings, sources: Mapping[str, str]) -> None:
    """Each setting within the range or among the choices its registry entry gives, with
    the settings it needs set as well."""
    for name, source in sources.items():
        info, value = setting_info(name), getattr(settings, name)
        if info.choices and value not in info.choices:
            allowed = ", ".join(repr(choice) for choice in info.choices)
            raise _refusal(name, source, f"must be one of {allowed}", value)
        if info.low is not None and value < info.low:
            raise _refusal(name, source, f"must be at least {shown_number(info.low)}", value)
        if info.high is not None and value > info.high:
            raise _refusal(name, source, f"must be at most {shown_number(info.high)}", value)
        if info.valid is not None and value and not info.valid(value):  # empty: not set
            raise _refusal(name, source, f"must be {info.expected}", value)
        missing = [other for other in info.requires if not getattr(settings, other)]
        if missing:
            needed = " and ".join(repr(other) for other in missing)
            raise ConfigError(f"setting {name!r} from {source} needs {needed} set as well")


def _read_file(layered: _Layered, config_file: str | os.PathLike[str], named_by: str) -> None:
    try:
        document = tomllib.loads(Path(config_file).read_text())
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {config_file}{named_by}: {exc.strerror}"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {config_file}{named_by} is not valid TOML: {exc}") from None
    source = f"config file {config_file}"
    for key, value in document.items():
        if key == "providers":
            _read_provider_tables(layered, value, source)
        elif key in _KINDS:
            layered.take(key, value, source)
        else:
            hint = closest(key, [*_KINDS, "providers"])
            suggestion = (
                f": did you mean {hint!r}?" if hint else " (`heliograph settings` lists them)"
            )
            raise ConfigError(f"unknown setting {key!r} in {source}{suggestion}")


def _read_provider_tables(layered: _Layered, providers: Any, source: str) -> None:
    """`[providers.NAME]` tables: each holds a base_url, an api_key or both, as text."""
    if not isinstance(providers, dict):
        raise ConfigError(f"providers in {source} must be tables such as [providers.openai]")
    for provider, table in providers.items():
        where = f"[providers.{provider}] in {source}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table holding base_url and/or api_key")
        for key, value in table.items():
            if key not in _PROVIDER_FIELDS:
                hint = closest(key, _PROVIDER_FIELDS)
                suggestion = f": did you mean {hint!r}?" if hint else " (base_url, api_key)"
                raise ConfigError(f"unknown key {key!r} in {where}{suggestion}")
            if not isinstance(value, str):
                raise ConfigError(f"{key} in {where} must be text (a quoted string)")
        if table.get("base_url"):
            layered.base_urls[provider.lower()] = table["base_url"]
        if table.get("api_key"):
            layered.api_keys[provider.lower()] = table["api_key"]


def _provider_variable(key: str) -> tuple[str, str] | None:
    """(provider, "base_url" or "api_key") for HELIOGRAPH_<NAME>_BASE_URL or _API_KEY."""
    if not key.startswith(ENV_PREFIX) or key in _VARIABLES:  # HELIOGRAPH_API_KEY is ours
        return None
    for part in _PROVIDER_FIELDS:
        provider = key[len(ENV_PREFIX) :].removesuffix("_" + part.upper())
        if provider and len(provider) < len(key) - len(ENV_PREFIX):
            return provider.lower(), part
    return None


def _refuse_unknown_variables(environ: Mapping[str, str]) -> None:
    """A HELIOGRAPH_ variable that nothing reads is a misspelling: say which one it meant."""
    for key in environ:
        if not key.startswith(ENV_PREFIX) or key in _VARIABLES or key in _OTHER_VARIABLES:
            continue
        if _provider_variable(key) is not None:
            continue
        # The shared prefix would make every name look alike: compare what follows it.
        bare = [name.removeprefix(ENV_PREFIX) for name in _SUGGESTED_VARIABLES]
        hint = closest(key.removeprefix(ENV_PREFIX), bare)
        suggestion = (
            f": did you mean {ENV_PREFIX}{hint}?"
            if hint
            else " (`heliograph settings --markdown` lists every setting's variable)"
        )
        raise ConfigError(f"unknown environment variable {key}{suggestion}")


def _read_environ(layered: _Layered, environ: Mapping[str, str]) -> None:
    for variable, name in _VARIABLES.items():
        if environ.get(variable):  # set but empty: not set
            layered.take(name, environ[variable], f"environment variable {variable}")
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(variable) and "aws_region" not in layered.sources:
            layered.take("aws_region", environ[variable], f"environment variable {variable}")
    for spec in SPECS:  # conventional variables (OPENAI_API_KEY), the first one set
        for variable in spec.key_env:
            if environ.get(variable):
                layered.api_keys.setdefault(spec.name, environ[variable])
    for key, raw in environ.items():
        found = _provider_variable(key)
        if found is None or not raw:
            continue
        provider, part = found
        (layered.base_urls if part == "base_url" else layered.api_keys)[provider] = raw
