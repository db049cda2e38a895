"""The settings registry (config.py) as people read it: the README's table, and the
effective values `heliograph settings` prints (secrets shown only as set or not)."""

from __future__ import annotations

from heliograph.config import (
    DEFAULT_PROVIDER_BASE_URLS,
    ENV_PREFIX,
    Settings,
    scalar_settings,
    setting_info,
)

_DEFAULT_BASES = ", ".join(f"`{name}`" for name in DEFAULT_PROVIDER_BASE_URLS)
# The two settings that are maps of provider name to value, read from several places.
_PROVIDER_ROWS = (
    "| `[providers.NAME] base_url` (`provider_base_urls`) | `HELIOGRAPH_<NAME>_BASE_URL` "
    f"| {_DEFAULT_BASES} official APIs | A provider's base URL; any other NAME adds a "
    "`/NAME/...` passthrough route |",
    "| `[providers.NAME] api_key` (`provider_api_keys`) | `HELIOGRAPH_<NAME>_API_KEY`, "
    "`<NAME>_API_KEY` | none | The unified gateway's provider keys "
    "([gateway](docs/gateway.md#provider-keys)); never logged |",
)


def _quantity(name: str, value: float) -> str:
    if name.endswith("_bytes") and value >= 1024 and value % 1024 == 0:
        for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
            if value % size == 0:
                return f"{value // size:g} {unit}"
    unit = next(
        (
            u
            for suffix, u in (("_ms", "ms"), ("_s", "s"), ("_seconds", "s"))
            if name.endswith(suffix)
        ),
        "",
    )
    number = f"{value:,g}" if value >= 10_000 else f"{value:g}"  # 8585 is a port, not 8,585
    return f"{number} {unit}".strip()


def shown_default(name: str) -> str:
    info, value = setting_info(name), getattr(Settings(), name)
    if info.shown_default:
        return info.shown_default
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return _quantity(name, value)
    return f"`{value}`" if str(value) else "none"


def markdown_table() -> str:
    """The README's settings table, one row per setting of the registry."""
    lines = [
        "| setting (TOML key) | environment, option | default | what it does |",
        "| --- | --- | --- | --- |",
    ]
    for name in scalar_settings():
        info = setting_info(name)
        where = f"`{ENV_PREFIX}{name.upper()}`" + (f", `{info.option}`" if info.option else "")
        lines.append(f"| `{name}` | {where} | {shown_default(name)} | {info.help} |")
    lines.extend(_PROVIDER_ROWS)
    return "\n".join(lines) + "\n"


def effective(settings: Settings) -> list[tuple[str, str]]:
    """Each setting's value in `settings`, secrets as "(set)" or "(not set)"."""
    shown = []
    for name in scalar_settings():
        value = getattr(settings, name)
        if setting_info(name).secret:
            shown.append((name, "(set)" if value else "(not set)"))
        else:
            shown.append((name, str(value)))
    for provider, url in sorted(settings.provider_base_urls.items()):
        shown.append((f"providers.{provider}.base_url", url))
    for provider in sorted(settings.provider_api_keys):
        shown.append((f"providers.{provider}.api_key", "(set)"))
    return shown
