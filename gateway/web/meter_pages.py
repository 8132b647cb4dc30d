"""The meters' pages: the dashboard (meters, consent, allowances), add, rename, remove, and
each meter's charts (through the chain: cache first, charged as any API call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from gateway import state
from gateway.accounts import schemas
from gateway.accounts.consent import STATE_TTL_SECONDS, check_usage_point_id
from gateway.enedis.catalogue import BY_NAME
from gateway.enedis.rules import paris_today
from gateway.errors import GatewayError
from gateway.quota import CACHED, UPSTREAM
from gateway.surfaces.management import point_view
from gateway.web import charts, flash
from gateway.web.csrf import checked_form
from gateway.web.i18n import translate
from gateway.web.pages import page, redirect, require_user
from gateway.web.render import language
from gateway.web.subrequest import through_chain


@dataclass(frozen=True, slots=True)
class Allowance:
    label: str
    used: int
    left: int
    limit: int
    known: bool


async def dashboard(request: web.Request) -> web.Response:
    user = await require_user(request)
    accounts = request.app[state.ACCOUNTS]
    rows = await accounts.list_points(user.principal)
    imports = request.app[state.IMPORTS]
    await imports.arm(user.principal)  # a signed-in person's visit brings the key back too
    history = await imports.history(user.principal.account_id)
    usages = await request.app[state.QUOTAS].read(user.principal.account_id)
    quota = [
        Allowance(label, usage.used, usage.remaining, usage.limit, usage.known)
        for label, usage in (
            ("dash.quota_upstream", usages[UPSTREAM]),
            ("dash.quota_cached", usages[CACHED]),
        )
    ]
    return await page(
        request,
        "dashboard.html",
        {
            "points": [point_view(row, history.get(row.usage_point_id)) for row in rows],
            "quota": quota,
        },
        user=user,
    )


async def add_meter(request: web.Request) -> web.Response:
    """Start the consent at Enedis for this account (its callback is bound to this browser:
    see ``web.consent``)."""
    await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    url = await request.app[state.ACCOUNTS].authorize_url(user.principal)
    await request.app[state.IMPORTS].hold_key(user.principal, STATE_TTL_SECONDS)
    raise redirect(url)


def _usage_point(request: web.Request) -> str:
    return check_usage_point_id(request.match_info["usage_point_id"])


def _no_such_point() -> GatewayError:
    return GatewayError(404, "usage_point_not_found", "This account has no such usage point.")


async def rename_meter(request: web.Request) -> web.Response:
    form = await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    usage_point_id = _usage_point(request)
    name = form.get("name", "").strip()
    if len(name) > schemas.NAME_MAX:
        await flash.put(request, "err.name_length", max=str(schemas.NAME_MAX))
        raise redirect("/dashboard")
    row = await request.app[state.ACCOUNTS].rename_point(
        user.principal, usage_point_id, name or None
    )
    if row is None:
        raise _no_such_point()
    await flash.put(request, "dash.renamed")
    raise redirect("/dashboard")


async def remove_meter(request: web.Request) -> web.Response:
    await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    usage_point_id = _usage_point(request)
    removed = await request.app[state.ACCOUNTS].delete_point(
        user.principal, usage_point_id, request.app[state.CACHE]
    )
    if not removed:
        raise _no_such_point()
    await flash.put(request, "dash.removed", prm=usage_point_id)
    raise redirect("/dashboard")


def failure_reason(status: int) -> str:
    """The words for a data answer that failed (the v5 route's status)."""
    if status == 429:
        return "chart.reason_quota"
    if status in {401, 403}:
        return "chart.reason_consent"
    return "chart.reason_enedis"


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    svg: str
    rows: list[tuple[str, float]]
    unit: str
    failed: str | None = None


async def _chart(
    request: web.Request,
    token: str,
    endpoint_name: str,
    usage_point_id: str,
    days: int,
    *,
    title: str,
    unit: str,
    divisor: float,
    bars: bool,
    colour: str = "#0b5cad",
    optional: bool = False,
) -> Chart | None:
    lang = language(request)
    today = paris_today()
    query = {
        "usage_point_id": usage_point_id,
        "start": (today - timedelta(days=days)).isoformat(),
        "end": today.isoformat(),
    }
    answer = await through_chain(request, BY_NAME[endpoint_name].path, query, token)
    if answer.status != 200:
        if optional:
            return None
        reason = translate(lang, failure_reason(answer.status))
        return Chart(title, "", [], unit, translate(lang, "chart.failed", reason=reason))
    labels, values = charts.readings(answer.body, lang=lang, divisor=divisor, time_labels=not bars)
    if optional and not any(values):
        return None
    series = charts.Series(title, labels, values)
    svg = charts.render(series, bars=bars, colour=colour) if values else ""
    return Chart(title, svg, list(zip(labels, values, strict=True)), unit)


async def meter_charts(request: web.Request) -> web.Response:
    user = await require_user(request)
    usage_point_id = _usage_point(request)
    lang = language(request)
    rows = await request.app[state.ACCOUNTS].list_points(user.principal)
    point = next((row for row in rows if row.usage_point_id == usage_point_id), None)
    if point is None:
        raise _no_such_point()
    found = [
        await _chart(
            request,
            user.token,
            "daily_consumption",
            usage_point_id,
            30,
            title=translate(lang, "chart.daily"),
            unit="kWh",
            divisor=1000,
            bars=True,
        ),
        await _chart(
            request,
            user.token,
            "daily_production",
            usage_point_id,
            30,
            title=translate(lang, "chart.production"),
            unit="kWh",
            divisor=1000,
            bars=True,
            colour="#1d6b34",
            optional=True,
        ),
        await _chart(
            request,
            user.token,
            "consumption_load_curve",
            usage_point_id,
            1,
            title=translate(lang, "chart.curve"),
            unit="W",
            divisor=1,
            bars=False,
        ),
    ]
    return await page(
        request,
        "charts.html",
        {"point": point_view(point), "charts": [chart for chart in found if chart is not None]},
        user=user,
    )
