"""Web wiring: login, template helpers, error pages, blueprints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask import Flask, flash, g, has_request_context, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_login.utils import login_url
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.orm import with_expression
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from . import clock, drafts, i18n, thaidate, uploads, versions
from .db import db
from .errors import PermissionDenied, ServiceError
from .extensions import login_manager
from .i18n import _, _l

SESSION_ENDED = _l("หมดเวลาการเข้าสู่ระบบ สิ่งที่คุณพิมพ์ไว้ยังไม่ได้บันทึกแต่เก็บไว้แล้ว เข้าสู่ระบบแล้วจะกลับไปที่แบบฟอร์มพร้อมข้อความเดิม")
FORM_EXPIRED = _l("แบบฟอร์มหมดอายุ จึงยังไม่ได้บันทึก ข้อความที่คุณพิมพ์ใส่กลับในแบบฟอร์มแล้ว โปรดตรวจแล้วกดบันทึกอีกครั้ง")
DRAFT_RESTORED = _l("ใส่ข้อความที่คุณพิมพ์ไว้กลับในแบบฟอร์มแล้ว ยังไม่ได้บันทึก โปรดตรวจแล้วกดบันทึก")


#: An id no record has, standing in for each row's id in `id_url` (its digits occur once in the address).
_URL_MARKER = 987654321987


def _thai_digits() -> bool:
    # Thai digits are a Thai-reading preference: the English pages show 0-9.
    return i18n.thai_digits()


class BoundedIntConverter(IntegerConverter):
    """<int:…> that stops at the largest id the databases store: a larger number is a 404, not a 500."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


@cache
def _user_statement() -> sa.Select:
    """One statement for the logged-in user and the header's unread count, built once (building
    it with its option on every request cost more than running it)."""
    from .auth.models import User
    from .follow.services import unread_count_expression

    return (
        sa.select(User)
        .where(User.id == sa.bindparam("user_id"))
        .options(with_expression(User.unread_count, unread_count_expression()))
    )


def register_web(app: Flask) -> None:
    from .auth.models import User

    i18n.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("โปรดเข้าสู่ระบบก่อน")
    login_manager.login_message_category = "info"

    @login_manager.unauthorized_handler
    def unauthorized():
        """To the login page, and back afterwards. A form sent after the session ended
        (logged out in another tab) is kept, and the way back is the page of the form,
        where it is filled in again: not the form's own address, which only takes POST."""
        if request.method == "POST" and not wants_json():
            page = drafts.form_page()
            if drafts.keep(request.form, user_id=None, page=page) is not None:
                db.session.commit()
                flash(SESSION_ENDED, "warning")
            else:
                flash(login_manager.login_message, login_manager.login_message_category)
            return redirect(url_for("auth.login", next=page))
        if wants_json():
            return error_page(401, _("โปรดเข้าสู่ระบบ"), login_manager.login_message)
        flash(login_manager.login_message, login_manager.login_message_category)
        return redirect(login_url(login_manager.login_view, next_url=request.url))

    @app.before_request
    def bring_back_drafts():
        """Typed text kept for a form on this page (tracker/drafts.py) goes back into it."""
        if request.method != "GET" or not drafts.keys() or not current_user.is_authenticated:
            return None
        g.restored_drafts = drafts.take_for_page(request.path, current_user.id)
        if g.restored_drafts:
            db.session.commit()
            flash(DRAFT_RESTORED, "info")
        return None

    @app.context_processor
    def draft_context() -> dict:
        if not has_request_context():  # emails and documents rendered by jobs
            return {"restored_drafts": [], "reload_url": None}
        return {
            "restored_drafts": g.get("restored_drafts", []),
            # The address a reload of this page should ask for: a page answering a POST is
            # shown again by GET (app.js), so a reload never sends the form a second time.
            "reload_url": drafts.reload_url() if request.method == "POST" else None,
        }

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        user = db.session.scalar(_user_statement(), {"user_id": int(user_id)})
        return user if user is not None and user.active else None

    @app.template_filter("thdate")
    def thdate(value: date | datetime | None, style: str = "abbr") -> str:
        return thaidate.format_date(value, style=style, thai_digits=_thai_digits(), lang=i18n.current_language())

    @app.template_filter("thdatetime")
    def thdatetime(value: datetime | None) -> str:
        return (
            thaidate.format_datetime(value, thai_digits=_thai_digits(), lang=i18n.current_language()) if value else ""
        )

    @app.template_global()
    def public_date(value: date | datetime | None, style: str = "abbr") -> str:
        """A BE date in the page's language with Arabic digits, whoever reads it: for pages
        served alike to everyone (the public page), where per-user filters do not belong."""
        return thaidate.format_date(value, style=style, lang=i18n.current_language())

    @app.template_global()
    def public_period(start: date, end: date) -> str:
        return thaidate.format_period(start, end, thai_digits=False, lang=i18n.current_language())

    @app.template_filter("thnum")
    def thnum(value: object) -> str:
        text = str(value)
        return thaidate.to_thai_digits(text) if _thai_digits() else text

    @app.template_filter("digits")
    def digits(value: object) -> str:
        return thaidate.text_digits(str(value or ""), _thai_digits())

    @app.template_filter("period")
    def period(measure) -> str:
        return thaidate.format_period(
            measure.period_start, measure.period_end, thai_digits=_thai_digits(), lang=i18n.current_language()
        )

    @app.template_global()
    def id_url(endpoint: str, name: str) -> Callable[[int], str]:
        """`url_for(endpoint, **{name: id})` for the many ids of a list: the rule is built once
        and each row's address is a string join (url_for costs 8 µs a call)."""
        values: dict[str, Any] = {name: _URL_MARKER}
        head, tail = url_for(endpoint, **values).split(str(_URL_MARKER))
        return lambda record_id: f"{head}{int(record_id)}{tail}"

    @app.template_filter("nl2br")
    def nl2br(value: str | None) -> Markup:
        from markupsafe import escape

        return Markup("<br>").join(escape(value or "").split("\n"))

    @app.context_processor
    def inject() -> dict:
        return {"today": clock.now().date(), "conflict_field": conflict_field, "conflict_value": journal_text}

    from .admin.views import FIELD_LABELS, journal_text
    from .reports.views import RESULT_FIELD_LABELS

    #: Field names of every versioned record's journal entries, as the conflict box shows them.
    conflict_labels = {**FIELD_LABELS, **RESULT_FIELD_LABELS}

    def conflict_field(field: str | None) -> str:
        return i18n.translate(conflict_labels[field]) if field in conflict_labels else (field or "")

    @app.before_request
    def refuse_nul_characters():
        """No database text may hold NUL (PostgreSQL refuses it outright): say so instead of failing."""
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        values = [v for vs in request.form.listvalues() for v in vs]
        values += [f.filename or "" for fs in request.files.listvalues() for f in fs]
        if any("\x00" in v for v in values) or (request.is_json and b"\\u0000" in request.get_data()):
            return error_page(
                400,
                _("ข้อมูลไม่ถูกต้อง"),
                _("ข้อมูลที่ส่งมามีอักขระควบคุมที่ไม่อนุญาต (NUL)"),
            )
        return None

    def wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    def error_page(status: int, title: str, message: str):
        db.session.rollback()
        if wants_json():
            return jsonify(error=message, status=status), status
        return render_template("error.html", status=status, title=title, message=message), status

    @app.errorhandler(versions.Stale)
    def stale(exc: versions.Stale):
        # Views with a form show the conflict above it; anything else says so plainly.
        return error_page(409, _("มีผู้บันทึกข้อมูลนี้ก่อนคุณ"), exc.message)

    @app.errorhandler(StaleDataError)
    def stale_row(exc: StaleDataError):
        # Two saves of one record at the same moment: the later one finds its version gone.
        return error_page(
            409,
            _("มีผู้บันทึกข้อมูลนี้ก่อนคุณ"),
            _("มีผู้อื่นบันทึกข้อมูลนี้พร้อมกับคุณ สิ่งที่คุณส่งมายังไม่ได้บันทึก โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"),
        )

    @app.errorhandler(PermissionDenied)
    def permission_denied(exc: PermissionDenied):
        return error_page(403, _("ไม่มีสิทธิ์"), exc.message)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return error_page(400, _("ข้อมูลไม่ถูกต้อง"), str(exc))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        if request.method == "POST" and not wants_json() and drafts.same_origin():
            # Our own page with an old token (the session ended, or was renewed by a login in
            # another tab): keep what was typed and go back to the form, through the login if need be.
            db.session.rollback()
            page = drafts.form_page()
            user_id = current_user.id if current_user.is_authenticated else None
            if drafts.keep(request.form, user_id=user_id, page=page) is not None:
                db.session.commit()
                if user_id is None:
                    flash(SESSION_ENDED, "warning")
                    return redirect(url_for("auth.login", next=page), 303)
                flash(FORM_EXPIRED, "warning")
                return redirect(page, 303)
        return error_page(
            400,
            _("แบบฟอร์มหมดอายุหรือไม่ถูกต้อง"),
            _("แบบฟอร์มไม่ถูกต้องหรือหมดอายุ โปรดโหลดหน้าใหม่แล้วลองอีกครั้ง"),
        )

    @app.errorhandler(413)
    def too_large(exc):
        limit = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = _("ไฟล์ใหญ่เกิน %(limit)s MB", limit=limit)
        if wants_json() or request.method != "POST":
            return error_page(413, _("ไฟล์ใหญ่เกินไป"), message)
        db.session.rollback()
        # The other fields of the form are kept: read past the file (up to a bound) and keep them as a draft.
        page = drafts.form_page()
        form = uploads.fields_beside_files(request, limit_bytes=app.config["MAX_CONTENT_LENGTH"])
        restored = False
        if form is not None and current_user.is_authenticated and drafts.same_origin():
            restored = drafts.keep(form, user_id=current_user.id, page=page) is not None
            if restored:
                db.session.commit()
        page_html = render_template(
            "error.html",
            status=413,
            title=_("ไฟล์ใหญ่เกินไป"),
            message=message,
            back_url=page,
            back_label=i18n._("กลับไปที่แบบฟอร์ม ข้อมูลอื่นที่กรอกไว้ยังอยู่") if restored else i18n._("กลับไปที่แบบฟอร์ม"),
        )
        return page_html, 413

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            403: _("คุณไม่มีสิทธิ์ดูหน้านี้"),
            404: _("ไม่พบหน้าที่ต้องการ"),
            405: _("วิธีเรียกหน้านี้ไม่ถูกต้อง"),
        }
        titles = {
            403: _("ไม่มีสิทธิ์"),
            404: _("ไม่พบหน้านี้"),
            405: _("วิธีเรียกไม่ถูกต้อง"),
        }
        return error_page(
            exc.code or 500,
            titles.get(exc.code or 0, exc.name),
            messages.get(exc.code or 0, exc.description or exc.name),
        )

    # view modules imported for the pages they register on the admin and plans blueprints
    from .admin import import_views, people_views, settings_views, structure_views, trash_page  # noqa: F401
    from .admin.views import bp as admin_bp
    from .auth.views import bp as auth_bp
    from .ita.framework_views import bp as frameworks_bp
    from .ita.views import bp as ita_bp
    from .notify.calendar_views import bp as calendar_bp
    from .notify.outbox_views import bp as outbox_bp
    from .notify.views import bp as notify_bp
    from .plans import (  # noqa: F401  (their pages are on the plans blueprint)
        evidence_views,
        my_steps_views,
        trash_views,
        update_views,
    )
    from .plans.views import bp as plans_bp
    from .reports.views import bp as reports_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(ita_bp)
    app.register_blueprint(frameworks_bp)
    app.register_blueprint(notify_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(outbox_bp)

    from .line.delivery import LineSender
    from .line.views import bp as line_bp

    app.register_blueprint(line_bp)
    # The outbox hands each claimed LINE row to LINE's sender (notify.delivery.channel_sender).
    app.extensions.setdefault("tracker.channel_senders", {})["line"] = LineSender

    from .plans.rollover_views import bp as rollover_bp
    from .reports.memo_views import bp as memo_bp
    from .reports.signoff_views import bp as signoff_bp

    app.register_blueprint(memo_bp)
    app.register_blueprint(signoff_bp)
    app.register_blueprint(rollover_bp)

    from .public.views import bp as public_bp

    app.register_blueprint(public_bp)

    from .api.token_views import bp as api_tokens_bp
    from .api.views import bp as api_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(api_tokens_bp)

    from .province.views import bp as province_bp

    app.register_blueprint(province_bp)

    from .follow.services import on_report_awaits_signer, on_status_changed
    from .follow.views import bp as follow_bp
    from .plans.signals import step_status_changed
    from .reports.signals import report_awaits_signer

    app.register_blueprint(follow_bp)

    from .search.views import bp as search_bp

    app.register_blueprint(search_bp)
    # Watchers hear of status changes made anywhere (web, API, command line).
    step_status_changed.connect(on_status_changed)
    report_awaits_signer.connect(on_report_awaits_signer)

    from .homes.views import init_app as init_homes

    init_homes(app)

    from .memoimport import init_app as init_memo_import

    init_memo_import(app)
