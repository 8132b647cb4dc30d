"""The consent page a person sees in a browser (no ``sandbox_customer`` in the query).

A small French page in the look of Enedis' consent page: the sandbox customers and their
points, each with an "Accepter" and a "Refuser" button. v1 consents to every point of a
customer (one form per customer), v2 to one point (one form per point). Each form POSTs
the original query back to the same path with ``sandbox_customer`` (and, v2,
``sandbox_usage_point``) and ``decision``; the answer is the usual redirect. No script, no
third-party asset; escaped throughout.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from aiohttp import web

from gateway.sandbox.customers import CUSTOMERS, Customer, UsagePoint

__all__ = ["consent_page", "share_error_page"]

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f9;color:#1b1b1b}
header{background:#1423dc;color:#fff;padding:1rem 1.5rem}
main{max-width:46rem;margin:1.5rem auto;padding:0 1rem}
section{background:#fff;border-radius:.5rem;padding:1rem 1.25rem;margin-bottom:1rem;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.3rem;margin:0}h2{font-size:1.1rem;margin:.2rem 0 .5rem}
ul{margin:.3rem 0 .8rem;padding-left:1.2rem}
button{font-size:1rem;padding:.5rem 1.1rem;margin-right:.6rem;border-radius:.3rem;
border:2px solid #1423dc;cursor:pointer}
.accept{background:#1423dc;color:#fff}.refuse{background:#fff;color:#1423dc}
button:focus{outline:3px solid #f5a000;outline-offset:2px}
.en{color:#555;font-size:.9rem}
"""

_KEPT = ("client_id", "response_type", "state", "duration", "redirect_uri")


def _describe(point: UsagePoint) -> str:
    directions = (("consommation", point.consumption), ("production", point.production))
    uses = [word for word, on in directions if on]
    minutes = point.interval_minutes
    curve = f"courbe de charge PT{minutes}M" if minutes else "sans courbe de charge"
    return f"{point.usage_point_id} — {' et '.join(uses)}, {curve}, {point.address.city}"


def _form(
    path: str, params: Mapping[str, str], customer: Customer, point: UsagePoint | None
) -> str:
    hidden = [(k, params[k]) for k in _KEPT if k in params]
    hidden.append(("sandbox_customer", customer.name))
    if point is not None:
        hidden.append(("sandbox_usage_point", point.usage_point_id))
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden
    )
    target = point.usage_point_id if point is not None else customer.name
    return (
        f'<form method="post" action="{escape(path)}">{fields}'
        f'<button class="accept" name="decision" value="accept" '
        f'aria-label="Accepter le partage ({escape(target)})">Accepter</button>'
        f'<button class="refuse" name="decision" value="refuse" '
        f'aria-label="Refuser le partage ({escape(target)})">Refuser</button></form>'
    )


def _section(path: str, params: Mapping[str, str], customer: Customer, v2: bool) -> str:
    title = f"{customer.title} {customer.firstname} {customer.lastname}"
    head = f"<h2>{escape(title)} <small>({escape(customer.name)})</small></h2>"
    if v2:
        items = "".join(
            f"<li>{escape(_describe(p))}{_form(path, params, customer, p)}</li>"
            for p in customer.points
        )
        return f"<section>{head}<ul>{items}</ul></section>"
    items = "".join(f"<li>{escape(_describe(p))}</li>" for p in customer.points)
    return f"<section>{head}<ul>{items}</ul>{_form(path, params, customer, None)}</section>"


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1></header><main>{body}</main></body></html>"
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def consent_page(path: str, params: Mapping[str, str], v2: bool) -> web.Response:
    """The page listing the sandbox customers, with accept/refuse forms."""
    what = "d'un de vos points de livraison" if v2 else "de vos points de livraison"
    intro = (
        f"<p>Une application demande l'accès aux données {what}. "
        "Choisissez le client du bac à sable qui donne (ou refuse) son accord.</p>"
        '<p class="en" lang="en">An application asks for access to your meter data. Pick the '
        "sandbox customer who accepts (or refuses).</p>"
    )
    sections = "".join(_section(path, params, c, v2) for c in CUSTOMERS.values())
    return _page("Enedis — partage de vos données (bac à sable)", intro + sections)


def share_error_page() -> web.Response:
    """Enedis' page when a point already shared with the application is shared again."""
    body = (
        "<section><p>Une erreur est survenue lors du partage de vos données.</p>"
        "<p>Ce point est déjà partagé avec cette application : supprimez d'abord le partage "
        "existant depuis votre espace client.</p>"
        '<p class="en" lang="en">This point is already shared with the application: remove '
        "the existing share from your account first.</p></section>"
    )
    return _page("Enedis — partage de vos données (bac à sable)", body, status=409)
