"""nginx as the canned fake provider: its config, written for one run in a temp dir.

OpenAI's `/v1/chat/completions` and Anthropic's `/v1/messages` each answer with JSON, or
with their event stream when the request body says `"stream": true`. `return` runs before
nginx reads a body (an `if` on `$request_body` there sees it empty), so each chat location
has `mirror` read the body first and then, finding no file to serve, hands the request on
through `error_page 404` to the internal location named after the answer it needs; that
location's `return` sees the body. Every target goes through the same two steps.
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.fixtures import (
    anthropic_message_body,
    anthropic_stream_body,
    completion_body,
    stream_body,
)

CHAT_PATH = "/v1/chat/completions"
MESSAGES_PATH = "/v1/messages"
_PART_CHARS = 3000

_TEMPLATE = """\
{user}worker_processes 1;
daemon off;
master_process on;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # Never close a client connection on our own: connection churn is not what we measure.
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    server_tokens off;
    # $request_body is set only for a body held in one memory buffer.
    client_body_buffer_size 64k;
    client_body_in_single_buffer on;

    map $request_body $bench_answer {{
        '~"stream":\\s*true' stream;
        default json;
    }}

    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        root {tmp}/no-files;  # nothing to serve: every chat call ends in the 404 below
        log_not_found off;

{chat_locations}
        location = /_bench/read-body {{
            internal;
            return 204;
        }}

{answer_locations}
        location / {{
            return 404;
        }}
    }}
}}
"""

_CHAT_LOCATION = """\
        location = {path} {{
            if ($request_method != POST) {{
                return 405;
            }}
            mirror /_bench/read-body;  # reads the whole body before the content phase
            mirror_request_body on;
            error_page 404 = /_bench/{provider}-$bench_answer;
        }}
"""

_ANSWER_LOCATION = """\
        location = /_bench/{name} {{
            internal;
            default_type {content_type};
{directives}
        }}
"""


def _return_directives(name: str, text: str) -> str:
    """`return 200` of `text`, assembled from variables: nginx caps one token at 4 KB."""
    if any(c in text for c in "'\\$"):
        raise ValueError("canned bodies must not contain quotes, backslashes or '$'")
    escaped = text.replace("\n", "\\n")  # nginx turns `\n` back into a newline
    parts = [escaped[i : i + _PART_CHARS] for i in range(0, len(escaped), _PART_CHARS)]
    indent = " " * 12
    lines = [f"{indent}set ${name}_{i} '{part}';" for i, part in enumerate(parts)]
    joined = "".join(f"${{{name}_{i}}}" for i in range(len(parts)))
    lines.append(f'{indent}return 200 "{joined}";')
    return "\n".join(lines)


def answers() -> dict[str, tuple[str, str]]:
    """Internal location name -> (content type, body) of every canned answer."""
    return {
        "openai-json": ("application/json", completion_body()),
        "openai-stream": ("text/event-stream", stream_body()),
        "anthropic-json": ("application/json", anthropic_message_body()),
        "anthropic-stream": ("text/event-stream", anthropic_stream_body()),
    }


def render_config(tmp: Path, port: int) -> str:
    # As root, nginx would hand its workers to `nobody`, who cannot enter our 0700 temp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    chat = "".join(
        _CHAT_LOCATION.format(path=path, provider=provider)
        for path, provider in ((CHAT_PATH, "openai"), (MESSAGES_PATH, "anthropic"))
    )
    canned = "".join(
        _ANSWER_LOCATION.format(
            name=name,
            content_type=content_type,
            directives=_return_directives(name.replace("-", "_"), body),
        )
        for name, (content_type, body) in answers().items()
    )
    return _TEMPLATE.format(
        user=user, tmp=tmp, port=port, chat_locations=chat, answer_locations=canned
    )


def write_config(tmp: Path, port: int) -> Path:
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / sub).mkdir(exist_ok=True)
    path = tmp / "nginx.conf"
    path.write_text(render_config(tmp, port))
    return path


def command(tmp: Path, config: Path) -> list[str]:
    """The nginx command line; `-e` keeps start-up errors out of /var/log/nginx."""
    return ["nginx", "-p", str(tmp), "-e", str(tmp / "nginx-error.log"), "-c", str(config)]
