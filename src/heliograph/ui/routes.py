"""Serving the dashboard: `index.html` for every screen's URL, and its static assets.

The dashboard is plain ES modules and CSS shipped in `static/` (no build step). Assets are
served under `/ui/static/<build>/...`, where `<build>` is a hash of every static file: a new
release changes the prefix, so assets can be cached for a year, and the modules' relative
imports stay inside one build without any rewriting.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heliograph.errors import NotFoundError

STATIC_DIR = Path(__file__).parent / "static"
ASSET_PREFIX = "/ui/static"
# Client-side routes: the first path segment of every dashboard screen.
SCREENS = (
    "dashboard",
    "requests",
    "sessions",
    "users",
    "properties",
    "prompts",
    "datasets",
    "evaluators",
    "experiments",
    "hql",
    "settings",
    "signin",
)
IMMUTABLE = "public, max-age=31536000, immutable"
# No inline script or style anywhere; images may come from the logged requests themselves.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: "
    "http:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}

router = APIRouter(include_in_schema=False)


@cache
def build_id() -> str:
    """A short hash of every static file's path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STATIC_DIR).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@cache
def _index_html() -> str:
    template = (STATIC_DIR / "index.html").read_text()
    return template.replace("{{ASSETS}}", f"{ASSET_PREFIX}/{build_id()}")


def _index() -> HTMLResponse:
    return HTMLResponse(
        _index_html(),
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


@router.get("/")
async def root() -> Response:
    return RedirectResponse("/dashboard", status_code=307)


@router.get("/ui/static/{build}/{asset:path}")
async def asset(build: str, asset: str) -> Response:
    """One static file; cached for good when asked for under the current build."""
    path = (STATIC_DIR / asset).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        raise NotFoundError("Not found")
    media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    caching = IMMUTABLE if build == build_id() else "no-cache"
    return Response(
        path.read_bytes(),
        media_type=media_type or "application/octet-stream",
        headers={"Cache-Control": caching, "X-Content-Type-Options": "nosniff"},
    )


async def screen() -> HTMLResponse:
    """The single page: the browser-side router draws the screen the URL names."""
    return _index()


async def screen_item(rest: str) -> HTMLResponse:
    return _index()


for _name in SCREENS:
    router.add_api_route(f"/{_name}", screen, methods=["GET"])
    router.add_api_route(f"/{_name}/{{rest:path}}", screen_item, methods=["GET"])
