"""Rendering of the pyinstrument session of B1: HTML and text beside the results, and the
top costs for the report: self time per function, and time spent inside each gateway
function (its callees included), both as a share of the sampled wall time."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

#: Where an idle event loop waits for the network: reported apart, it is not a cost.
IDLE = frozenset({"epoll.poll", "select", "poll"})
#: Frames around everything (the CLI, the server loop): not worth a row.
_OUTER = frozenset({"<module>", "main", "cmd_serve", "serve", "run_until_signal"})


def _name(frame: Any) -> str:
    return f"{frame.function} ({frame.file_path_short or '?'})"


def _walk(frame: Any, own: Counter[str], inside: Counter[str], seen: frozenset[str]) -> None:
    for child in frame.children:
        if child.is_synthetic_leaf:  # "[self]": the time of ``frame`` itself
            own[_name(frame)] += child.time
            continue
        name = _name(child)
        under = seen
        path = child.file_path_short or ""
        if (
            path.startswith("gateway/") and child.function not in _OUTER and name not in seen
        ):  # count recursion once
            inside[name] += child.time
            under = seen | {name}
        if not child.children:
            own[name] += child.time
        _walk(child, own, inside, under)


def top_costs(session: Any, count: int = 12) -> dict[str, Any]:
    root = session.root_frame()
    own: Counter[str] = Counter()
    inside: Counter[str] = Counter()
    if root is not None:
        _walk(root, own, inside, frozenset())
    duration = float(session.duration) or 1.0
    idle = sum(t for name, t in own.items() if name.split(" (")[0] in IDLE)

    def rows(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "ms": round(t * 1000, 1), "share": round(t / duration, 3)}
            for name, t in counter.most_common(count + len(IDLE))
            if name.split(" (")[0] not in IDLE
        ][:count]

    return {
        "sampled_s": round(duration, 2),
        "idle_share": round(idle / duration, 3),
        "top_self_time": rows(own),
        "top_gateway_inclusive": rows(inside),
    }


def render_profile(session_file: Path, out_dir: Path, stem: str) -> dict[str, Any]:
    """Write ``<stem>.html`` and ``<stem>.txt`` into ``out_dir``; the top costs."""
    from pyinstrument.renderers import ConsoleRenderer, HTMLRenderer
    from pyinstrument.session import Session

    session = Session.load(str(session_file))
    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / f"{stem}.html"
    text = out_dir / f"{stem}.txt"
    html.write_text(HTMLRenderer().render(session), encoding="utf-8")
    text.write_text(
        ConsoleRenderer(unicode=True, color=False, show_all=False).render(session),
        encoding="utf-8",
    )
    return {"profile_html": str(html), "profile_text": str(text), **top_costs(session)}
