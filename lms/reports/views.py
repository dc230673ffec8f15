"""Report pages (/reports): the index, a session's report, an organisation subtree's,
a course → exam funnel, and an exam's item statistics; each report also as CSV and XLSX.

Officers and administrators see the session, organisation and funnel reports of
their scope; trainers (and they) see the item statistics of the exams in their
scope. An object out of scope is a 404. Thin views over `lms.reports.services`
and `lms.reports.statistics`; the statistics page stores what it computed for the
question-bank browser, so it commits.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from lms.domain.charts import histogram_svg, scatter_svg
from lms.exams.models import Exam
from lms.extensions import db, login_manager
from lms.permissions import ALL, EXAM_EDITORS, has_role, require, scope_paths
from lms.questions.forms import TYPE_LABELS
from lms.reports import exports, services, statistics
from lms.reports.exports import Sheet
from lms.reports.labels import FLAG_LABELS, RELIABILITY_LABELS, STATE_LABELS

bp = Blueprint("reports", __name__, url_prefix="/reports")



@bp.before_request
def _staff_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require(has_role(current_user, *EXAM_EDITORS))
    return None


def number(value, digits: int = 1) -> str:
    """A statistic for the page: "—" when undefined."""
    return "—" if value is None else f"{float(value):.{digits}f}"


def percent(share) -> str:
    """A share (0…1) as a percentage."""
    return "—" if share is None else f"{float(share) * 100:.1f} %"


def passed_label(passed) -> str:
    if passed is None:
        return ""
    return _("Passed") if passed else _("Failed")


@bp.context_processor
def _helpers():
    return {"number": number, "percent": percent, "state_labels": STATE_LABELS,
            "flag_labels": FLAG_LABELS, "passed_label": passed_label,
            "formats": exports.FORMATS, "type_labels": TYPE_LABELS}


def _actor():
    return current_user._get_current_object()


def _download(sheets: list[Sheet], name: str, fmt: str):
    if fmt not in exports.FORMATS:
        abort(404)
    filename = f"{name}-{date.today().isoformat()}.{fmt}"
    if fmt == "csv":
        data, mimetype = exports.csv_bytes(sheets[0]), exports.CSV_MIMETYPE
    else:
        data, mimetype = exports.xlsx_bytes(sheets), exports.XLSX_MIMETYPE
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=filename, max_age=0)


def _histogram(bins, id_prefix: str) -> Markup:
    return Markup(histogram_svg(  # noqa: S704 - the chart escapes every text it draws
        bins, title=_("Scores"), x_label=_("Score as a percentage of the maximum"),
        y_label=_("Candidates"), id_prefix=id_prefix,
        description=_("How many candidates scored in each tenth of the maximum.")))


# ---------------------------------------------------------------- index


@bp.get("/")
def index():
    actor = _actor()
    officer = services.can_view_reports(actor)
    return render_template(
        "reports/index.html",
        sessions=services.reportable_sessions(actor) if officer else [],
        organisations=services.scope_organisations(actor) if officer else [],
        platform=officer and scope_paths(actor, *services.REPORT_VIEWERS) is ALL,
        courses=services.funnel_courses(actor) if officer else [],
        exams=statistics.analysable_exams(actor), officer=officer)


# ---------------------------------------------------------------- session


def _session_sheets(report) -> list[Sheet]:
    s = report.summary
    table = Sheet(_("Candidates"), [
        _("Candidate"), _("Organisation"), _("Attempt"), _("State"), _("Score"),
        _("Maximum"), _("Percentage"), _("Result")])
    for row in report.rows:
        table.rows.append([row.name, row.organisation, row.number,
                           str(STATE_LABELS.get(row.state.value, row.state.value)),
                           row.score, row.max_score, row.percent, passed_label(row.passed)])
    summary = Sheet(_("Summary"), [_("Measure"), _("Value")], [
        [_("Exam"), report.session.exam.title], [_("Session"), report.session.title],
        [_("Registered"), s.registered], [_("Attended"), s.attended],
        [_("Finished"), s.finished], [_("Graded"), s.graded],
        [_("Awaiting marking"), s.pending], [_("Invalidated"), s.invalidated],
        [_("Passed"), s.passed], [_("Pass rate, percent"), _pct(s.pass_rate)],
        [_("Mean, percent"), s.mean], [_("Median, percent"), s.median],
        [_("Standard deviation, percentage points"), s.sd]])
    summary.rows += [[f"{b.low:g}–{b.high:g} %", b.count] for b in s.distribution]
    return [table, summary]


def _pct(share):
    return None if share is None else round(share * 100, 2)


@bp.get("/sessions/<int:session_id>")
def session(session_id: int):
    report = services.session_report(services.get_session(_actor(), session_id))
    return render_template("reports/session.html", report=report,
                           chart=_histogram(report.summary.distribution, "session-histogram"))


@bp.get("/sessions/<int:session_id>/export.<fmt>")
def session_export(session_id: int, fmt: str):
    report = services.session_report(services.get_session(_actor(), session_id))
    return _download(_session_sheets(report), f"session-report-{session_id}", fmt)


# ---------------------------------------------------------------- organisation


def _organisation_report(organisation_id: int | None):
    organisation = services.get_organisation(_actor(), organisation_id)
    exam_id = request.args.get("exam", type=int)
    exam = db.session.get(Exam, exam_id) if exam_id is not None else None
    if exam_id is not None and exam is None:
        abort(404)
    report = services.organisation_report(organisation, exam=exam)
    if exam is not None and exam.id not in {e[0] for e in report.exams}:
        abort(404)  # no candidate of this subtree sat it
    return report


def _organisation_sheets(report) -> list[Sheet]:
    table = Sheet(_("Organisations"), [
        _("Organisation"), _("Code"), _("Candidates"), _("Attempts"), _("Graded"),
        _("Passed"), _("Pass rate, percent"), _("Mean, percent")])
    own = report.organisation.name if report.organisation else _("No organisation")
    for row in report.rows:
        name = row.name if row.organisation_id is not None else _(
            "%(name)s (its own candidates)", name=own) if report.organisation else own
        table.rows.append([name, row.code, row.candidates, row.sat, row.graded, row.passed,
                           _pct(row.pass_rate), row.mean])
    t = report.total
    table.rows.append([_("Total"), "", t.candidates, t.sat, t.graded, t.passed,
                       _pct(t.pass_rate), t.mean])
    return [table]


@bp.get("/organisations/", defaults={"organisation_id": None})
@bp.get("/organisations/<int:organisation_id>")
def organisation(organisation_id: int | None):
    report = _organisation_report(organisation_id)
    names = _organisation_sheets(report)[0].rows
    export_args = {"organisation_id": organisation_id} if organisation_id else {}
    if report.exam is not None:
        export_args["exam"] = report.exam.id
    return render_template("reports/organisation.html", report=report,
                           rows=list(zip(report.rows, names, strict=False)),
                           export_args=export_args)


@bp.get("/organisations/export.<fmt>", defaults={"organisation_id": None})
@bp.get("/organisations/<int:organisation_id>/export.<fmt>")
def organisation_export(organisation_id: int | None, fmt: str):
    report = _organisation_report(organisation_id)
    name = f"organisation-report-{organisation_id or 'all'}"
    return _download(_organisation_sheets(report), name, fmt)


# ---------------------------------------------------------------- funnel


def _funnel_sheets(funnel) -> list[Sheet]:
    table = Sheet(_("Funnel"), [
        _("Exam code"), _("Exam"), _("Enrolled in the course"), _("Completed the course"),
        _("Booked the exam"), _("Sat the exam"), _("Passed the exam")])
    for row in funnel.rows:
        table.rows.append([row.exam_code, row.exam_title, row.enrolled, row.completed,
                           row.booked, row.sat, row.passed])
    return [table]


@bp.get("/courses/<int:course_id>/funnel")
def funnel(course_id: int):
    actor = _actor()
    require(services.can_view_reports(actor))
    result = services.funnel(actor, services.get_course(actor, course_id))
    return render_template("reports/funnel.html", funnel=result)


@bp.get("/courses/<int:course_id>/funnel/export.<fmt>")
def funnel_export(course_id: int, fmt: str):
    actor = _actor()
    require(services.can_view_reports(actor))
    result = services.funnel(actor, services.get_course(actor, course_id))
    return _download(_funnel_sheets(result), f"funnel-{result.course.code}", fmt)


# ---------------------------------------------------------------- item statistics


def _item_sheets(stats) -> list[Sheet]:
    table = Sheet(_("Items"), [
        _("Question"), _("Bank"), _("Type"), _("Attempts with the item"), _("Facility (p)"),
        _("Item SD"), _("Discrimination (D)"), _("Item-rest r"), _("Flags"), _("Stem")])
    for row in stats.items:
        s = row.stats
        table.rows.append([row.external_id, row.bank_code,
                           str(TYPE_LABELS.get(row.type, row.type)), s.n, s.facility, s.sd,
                           s.discrimination, s.item_rest_r,
                           "; ".join(str(FLAG_LABELS[f.value]) for f in s.flags), row.stem])
    return [table]


def item_scatter(points, id_prefix: str) -> Markup:
    """Facility against discrimination, one point per item (the exam statistics page
    and the question bank's browser draw the same chart)."""
    return Markup(scatter_svg(  # noqa: S704 - the chart escapes every text it draws
        points, title=_("Difficulty and discrimination"), x_label=_("Facility (p)"),
        y_label=_("Discrimination (D)"), zone_title=_("Worth a look"),
        description=_("One point per item; the shaded zones are where items are flagged."),
        id_prefix=id_prefix))


@bp.get("/exams/<int:exam_id>/items")
def items(exam_id: int):
    stats = statistics.refresh(statistics.get_exam(_actor(), exam_id))
    db.session.commit()  # the bank browser's copy of these statistics
    scatter = item_scatter([(row.stats.facility, row.stats.discrimination, row.external_id)
                            for row in stats.items], "items-scatter")
    return render_template(
        "reports/items.html", stats=stats, paper=stats.analysis.paper, scatter=scatter,
        chart=_histogram(stats.analysis.histogram(), "items-histogram"),
        reliability_labels=RELIABILITY_LABELS)


@bp.get("/exams/<int:exam_id>/items/export.<fmt>")
def items_export(exam_id: int, fmt: str):
    stats = statistics.exam_statistics(statistics.get_exam(_actor(), exam_id))
    return _download(_item_sheets(stats), f"item-statistics-{stats.exam.code}", fmt)
