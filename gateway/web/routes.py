"""The routes of the web pages (surface WEB: errors answer an HTML page)."""

from __future__ import annotations

from aiohttp import web

from gateway import routing
from gateway.routing import Handler, RouteSpec, Surface
from gateway.web import account_pages, consent, meter_pages, pages
from gateway.web.render import STATIC, setup_templates


def register(app: web.Application) -> None:
    setup_templates(app)

    def add(method: str, path: str, handler: Handler, name: str) -> None:
        routing.add(app, method, path, handler, RouteSpec(Surface.WEB, name=f"web.{name}"))

    add("GET", "/", pages.home, "home")
    add("GET", "/lang/{code}", pages.language_switch, "language")
    add("GET", "/signup", pages.signup_form, "signup_form")
    add("POST", "/signup", pages.signup, "signup")
    add("GET", "/signin", pages.signin_form, "signin_form")
    add("POST", "/signin", pages.signin, "signin")
    add("POST", "/signout", pages.signout, "signout")
    add("GET", "/dashboard", meter_pages.dashboard, "dashboard")
    add("POST", "/meters/add", meter_pages.add_meter, "meter_add")
    add("POST", "/meters/{usage_point_id}/rename", meter_pages.rename_meter, "meter_rename")
    add("POST", "/meters/{usage_point_id}/remove", meter_pages.remove_meter, "meter_remove")
    add("GET", "/meters/{usage_point_id}/charts", meter_pages.meter_charts, "meter_charts")
    add("GET", "/consent/finish", consent.finish, "consent_finish")
    add("GET", "/consent/result", consent.result, "consent_result")
    add("GET", "/credentials", account_pages.credentials_page, "credentials")
    add("POST", "/credentials/show", account_pages.show_credentials, "credentials_show")
    add("POST", "/credentials/rotate", account_pages.rotate_secret, "credentials_rotate")
    add("POST", "/account/delete", account_pages.delete_account, "account_delete")
    add("GET", "/connect", account_pages.connect_page, "connect")
    add("GET", "/email/verify", account_pages.verify_email, "email_verify")
    add("POST", "/email/resend", account_pages.resend_verification, "email_resend")
    add("GET", "/password/forgot", account_pages.forgot_form, "forgot_form")
    add("POST", "/password/forgot", account_pages.forgot, "forgot")
    add("GET", "/password/reset", account_pages.reset_form, "reset_form")
    add("POST", "/password/reset", account_pages.reset, "reset")
    add("GET", "/dev/mails", account_pages.dev_mails, "dev_mails")
    app.router.add_static("/static/", STATIC, name="web_static", append_version=False)
