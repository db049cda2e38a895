"""nginx as the canned fake provider: its config, written for one run in a temp dir."""

from __future__ import annotations

import os
from pathlib import Path

from bench.fixtures import completion_body, stream_body

CHAT_PATH = "/v1/chat/completions"
STREAM_HEADER = "X-Bench-Stream"  # "1" selects the streaming answer
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

    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;

        location = {chat_path} {{
            if ($request_method != POST) {{
                return 405;
            }}
            if ($http_{header_var} = "1") {{
                rewrite ^ /_bench/stream last;
            }}
            default_type application/json;
{completion}
        }}

        location = /_bench/stream {{
            internal;
            default_type text/event-stream;
{stream}
        }}

        location / {{
            return 404;
        }}
    }}
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


def render_config(tmp: Path, port: int) -> str:
    # As root, nginx would hand its workers to `nobody`, who cannot enter our 0700 temp dir.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return _TEMPLATE.format(
        user=user,
        tmp=tmp,
        port=port,
        chat_path=CHAT_PATH,
        header_var=STREAM_HEADER.lower().replace("-", "_"),
        completion=_return_directives("completion", completion_body()),
        stream=_return_directives("stream", stream_body()),
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
