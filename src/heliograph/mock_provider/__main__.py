"""Serve the fake provider standalone: `python -m heliograph.mock_provider --port 9000`."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from .app import create_app


async def _serve(host: str, port: int, max_calls: int | None) -> None:
    runner = web.AppRunner(create_app(max_calls=max_calls), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        bound_host, bound_port = runner.addresses[0][:2]
        print(f"http://{bound_host}:{bound_port}", flush=True)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m heliograph.mock_provider", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0 picks a free port")
    parser.add_argument(
        "--max-calls",
        type=int,
        default=10_000,
        help="recorded requests kept for GET /__calls (0 records none)",
    )
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args.host, args.port, args.max_calls))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
