"""The canned fake provider in Python, for machines without nginx (the smoke test in CI).

    python -m bench.pyfake --port 9000

Serves exactly what bench/nginx.py's config serves: the same canned bodies, picked the
same way (the provider by path, JSON or stream by `"stream": true` in the body), so every
check of the harness holds against either. It is far slower than nginx: figures measured
against it show the harness working, not the systems' speed.
"""

from __future__ import annotations

import argparse
import re

from aiohttp import web
from aiohttp.typedefs import Handler

from bench import nginx

_STREAM = re.compile(rb'"stream":\s*true')


def create_app() -> web.Application:
    answers = {name: (kind, body.encode()) for name, (kind, body) in nginx.answers().items()}

    def route(provider: str) -> Handler:
        async def answer(request: web.Request) -> web.Response:
            body = await request.read()
            content_type, canned = answers[
                f"{provider}-{'stream' if _STREAM.search(body) else 'json'}"
            ]
            return web.Response(body=canned, headers={"Content-Type": content_type})

        return answer

    app = web.Application()
    app.router.add_post(nginx.CHAT_PATH, route("openai"))
    app.router.add_post(nginx.MESSAGES_PATH, route("anthropic"))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pyfake", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    web.run_app(create_app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
