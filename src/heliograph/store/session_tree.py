"""A session's requests arranged as the tree their `Helicone-Session-Path`s describe.

`/plan/search/fetch` puts a request on node `fetch` under `search` under `plan`; a request
without a path sits on the root. Nodes keep the order in which they were first reached, and
requests arrive oldest first, so siblings and each node's requests are in time order.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # deeper paths keep their tail as one node name, so the JSON stays shallow


def path_segments(path: str) -> list[str]:
    """`/plan/search/` and `plan/search` both mean ["plan", "search"]."""
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) > MAX_DEPTH:
        segments[MAX_DEPTH - 1 :] = ["/".join(segments[MAX_DEPTH - 1 :])]
    return segments


def _node(name: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "total_requests": 0,
        "total_cost": 0.0,
        "requests": [],
        "children": [],
    }


def _request_entry(row: dict[str, Any]) -> dict[str, Any]:
    prompt, completion = row.get("prompt_tokens"), row.get("completion_tokens")
    return {
        "request_id": row["request_id"],
        "path": row["session_path"],
        "created_at": row["request_created_at"],
        "model": row["model"],
        "provider": row["provider"],
        "user_id": row["user_id"],
        "status": row["status"],
        "latency": row["latency"],
        "cost": (row["cost"] or 0) / 1_000_000_000,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": (prompt or 0) + (completion or 0),
    }


def build_tree(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The root node; every node counts the requests and cost of its whole subtree."""
    root = _node("", "/")
    children: dict[int, dict[str, dict[str, Any]]] = {}  # id(node) -> name -> child
    cost_nano: dict[int, int] = {}  # summed as integers, converted once: no float drift
    for row in rows:
        node = root
        trail = [root]
        for segment in path_segments(row["session_path"]):
            by_name = children.setdefault(id(node), {})
            child = by_name.get(segment)
            if child is None:
                child = _node(segment, node["path"].rstrip("/") + "/" + segment)
                by_name[segment] = child
                node["children"].append(child)
            node = child
            trail.append(node)
        node["requests"].append(_request_entry(row))
        for ancestor in trail:
            ancestor["total_requests"] += 1
            cost_nano[id(ancestor)] = cost_nano.get(id(ancestor), 0) + (row["cost"] or 0)
    _set_costs(root, cost_nano)
    return root


def _set_costs(root: dict[str, Any], cost_nano: dict[int, int]) -> None:
    pending = [root]  # iterative: a path may have thousands of segments
    while pending:
        node = pending.pop()
        node["total_cost"] = cost_nano.get(id(node), 0) / 1_000_000_000
        pending.extend(node["children"])
