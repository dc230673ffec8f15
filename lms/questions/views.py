"""Question bank pages: banks, the bank browser, the question page with its
versions and review, the editor, retirement by law, import and export.

Every trainer and administrator may read every bank; the bank's owner, its
shared editors and platform-wide administrators change it (see
`lms.permissions`). Thin views as elsewhere: parse the form, call the
services, commit once, redirect with a message; a `ValidationFailed` goes back
on the form and nothing is written.
"""

from __future__ import annotations

import re
import secrets
from io import BytesIO
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from wtforms import SelectChoice

from lms.courses.author_forms import DOMAIN_LABELS
from lms.courses.models import Domain
from lms.domain.items import ItemSpecError, ItemType, ParametricSpec
from lms.domain.markdown import render_markdown
from lms.domain.parametric import (
    DEFAULT_CALCULATORS,
    compute_answer,
    format_answer,
    instantiate,
)
from lms.domain.statutes import format_statutes
from lms.errors import InvalidTransition, NotFound, ValidationFailed
from lms.extensions import db, login_manager
from lms.permissions import (
    can_edit_bank,
    can_review_question,
    editable_banks_filter,
    require_author_questions,
    require_edit_bank,
)
from lms.questions import display, editor, services, transfer, uploads
from lms.questions.formats.base import MAX_FILE_BYTES
from lms.questions.forms import (
    DIFFICULTY_LABELS,
    ORDER_SCORING_LABELS,
    QUESTION_STATUS_LABELS,
    REVIEW_DECISION_LABELS,
    SCORING_LABELS,
    TOLERANCE_LABELS,
    TYPE_LABELS,
    UNIT_POLICY_LABELS,
    BankSettingsForm,
    CategoryForm,
    ConfirmRetireByLawForm,
    ImportForm,
    NewBankForm,
    QuestionForm,
    RetireByLawForm,
    RetireForm,
    ReviewForm,
    apply_error,
    message_for,
    split_knowledge_points,
)
from lms.questions.models import (
    Question,
    QuestionBank,
    QuestionReview,
    QuestionStatus,
    QuestionTag,
    QuestionVersion,
)
from lms.reports import statistics as item_statistics
from lms.reports.labels import FLAG_LABELS
from lms.reports.views import item_scatter

bp = Blueprint("questions", __name__, url_prefix="/questions")

PER_PAGE = 25
FORMAT_LABELS = {
    "yaml": "YAML (unioncadre-bank/1)",
    "gift": "GIFT (Moodle)",
    "moodle-xml": "Moodle XML",
    "qti": "QTI",
    "xlsx": "Excel (.xlsx)",
}
EXPORT_FILES = {"yaml": (".yaml", "application/x-yaml"),
                "gift": (".gift.txt", "text/plain"),
                "moodle-xml": (".xml", "application/xml"),
                "qti": (".zip", "application/zip"),
                "xlsx": (".xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
LABELS = {"types": TYPE_LABELS, "statuses": QUESTION_STATUS_LABELS,
          "domains": DOMAIN_LABELS, "difficulties": DIFFICULTY_LABELS,
          "scoring": SCORING_LABELS, "order_scoring": ORDER_SCORING_LABELS,
          "tolerance": TOLERANCE_LABELS, "unit_policy": UNIT_POLICY_LABELS,
          "decisions": REVIEW_DECISION_LABELS, "formats": FORMAT_LABELS}


@bp.before_request
def _authors_only():
    """Every page here: trainers and administrators; anyone else gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_author_questions(current_user)
    return None


@bp.context_processor
def _helpers():
    return {"labels": LABELS, "markdown": _markdown, "letters": display.LETTERS,
            "readable_problem": editor.readable_problem}


def _markdown(text: str) -> Markup:
    return Markup(render_markdown(text or ""))  # noqa: S704 - sanitised by render_markdown


def _actor():
    return current_user._get_current_object()


def _bank(code: str) -> QuestionBank:
    return services.get_bank(code)


def _question(question_id: int) -> Question:
    question = db.session.get(Question, question_id, options=[
        joinedload(Question.current_version), joinedload(Question.bank),
        joinedload(Question.category)])
    if question is None:
        raise NotFound()
    return question


def _question_url(question: Question, anchor: str | None = None) -> str:
    return url_for("questions.question", question_id=question.id, _anchor=anchor)


def _available_formats() -> list[str]:
    found = []
    for name in transfer.FORMATS:
        try:
            transfer.format_module(name)
        except transfer.UnknownFormat:
            continue
        found.append(name)
    return found


def _xlsx_template():
    """``lms.questions.formats.xlsx.template`` when that format is installed."""
    try:
        module = transfer.format_module("xlsx")
    except transfer.UnknownFormat:
        return None
    return getattr(module, "template", None)


# -- banks ------------------------------------------------------------------


def _status_counts(bank_id: int | None = None) -> dict:
    query = sa.select(Question.bank_id, Question.status, sa.func.count(Question.id)) \
        .group_by(Question.bank_id, Question.status)
    if bank_id is not None:
        query = query.where(Question.bank_id == bank_id)
    counts: dict = {}
    for bank, status, count in db.session.execute(query):
        counts.setdefault(bank, {})[status] = count
    return counts


@bp.get("/")
def banks():
    rows = db.session.scalars(sa.select(QuestionBank).order_by(QuestionBank.code).options(
        joinedload(QuestionBank.owner), selectinload(QuestionBank.editors))).all()
    return render_template("questions/banks.html", banks=rows, counts=_status_counts(),
                           law_form=RetireByLawForm(formdata=None, meta={"csrf": False}),
                           statuses=list(QuestionStatus))


@bp.route("/banks/new", methods=["GET", "POST"])
def new_bank():
    form = NewBankForm()
    if form.validate_on_submit():
        try:
            bank = services.create_bank(code=form.code.data, title=form.title.data,
                                        domain=form.domain.data,
                                        description=form.description.data or "",
                                        actor=_actor())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Bank %(code)s created. Add questions, or import a file.", code=bank.code),
                  "success")
            return redirect(url_for("questions.bank", code=bank.code))
    return render_template("questions/new_bank.html", form=form)


def _settings_page(bank: QuestionBank, form=None, category_form=None):
    counts = dict(db.session.execute(
        sa.select(Question.category_id, sa.func.count(Question.id))
        .where(Question.bank_id == bank.id).group_by(Question.category_id)).all())
    return render_template(
        "questions/settings.html", bank=bank, counts=counts,
        form=form or BankSettingsForm(formdata=None, data={
            "title": bank.title, "description": bank.description,
            "editors": "\n".join(u.email for u in bank.editors)}),
        category_form=category_form or CategoryForm(formdata=None))


@bp.route("/banks/<code>/settings", methods=["GET", "POST"])
def settings(code: str):
    bank = _bank(code)
    require_edit_bank(current_user, bank)
    if request.method == "GET":
        return _settings_page(bank)
    form = BankSettingsForm()
    if form.validate_on_submit():
        try:
            services.update_bank(bank, title=form.title.data,
                                 description=form.description.data or "",
                                 editor_emails=form.editor_emails, actor=_actor())
        except ValidationFailed as exc:
            db.session.rollback()
            apply_error(form, exc)
        else:
            db.session.commit()
            flash(_("Bank settings saved."), "success")
            return redirect(url_for("questions.settings", code=bank.code))
    return _settings_page(bank, form=form)


@bp.post("/banks/<code>/categories")
def add_category(code: str):
    bank = _bank(code)
    require_edit_bank(current_user, bank)
    form = CategoryForm()
    if form.validate_on_submit():
        category = services.ensure_category(bank, form.path.data)
        if category is not None:
            db.session.commit()
            flash(_("Category “%(path)s” added.", path=category.path), "success")
            return redirect(url_for("questions.settings", code=bank.code, _anchor="categories"))
        form.path.errors = [*form.path.errors, _("Enter a category name.")]
    return _settings_page(bank, category_form=form)


# -- the bank browser -----------------------------------------------------------


def _filters(bank: QuestionBank) -> dict:
    """The browser's filters from the query string; unknown values are dropped."""
    args = request.args
    chosen = {"q": args.get("q", "").strip()[:200], "tag": args.get("tag", "").strip()[:100]}
    if args.get("type") in ItemType._value2member_map_:
        chosen["type"] = args["type"]
    if args.get("status") in QuestionStatus._value2member_map_:
        chosen["status"] = args["status"]
    if args.get("domain") in Domain._value2member_map_:
        chosen["domain"] = args["domain"]
    if args.get("difficulty", type=int) in DIFFICULTY_LABELS:
        chosen["difficulty"] = args.get("difficulty", type=int)
    category = args.get("category", type=int)
    if category is not None and any(c.id == category for c in bank.categories):
        chosen["category"] = category
    return {k: v for k, v in chosen.items() if v not in ("", None)}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _browse_query(bank: QuestionBank, filters: dict):
    query = sa.select(Question).where(Question.bank_id == bank.id)
    if "q" in filters:
        pattern = f"%{_escape_like(filters['q'])}%"
        query = query.join(QuestionVersion, QuestionVersion.id == Question.current_version_id) \
            .where(sa.or_(QuestionVersion.search_text.ilike(pattern, escape="\\"),
                          Question.external_id.ilike(pattern, escape="\\")))
    if "type" in filters:
        query = query.where(Question.type == filters["type"])
    if "status" in filters:
        query = query.where(Question.status == QuestionStatus(filters["status"]))
    if "domain" in filters:
        query = query.where(Question.domain == Domain(filters["domain"]))
    if "difficulty" in filters:
        query = query.where(Question.difficulty == filters["difficulty"])
    if "tag" in filters:
        query = query.where(Question.tags.any(QuestionTag.tag == filters["tag"]))
    if "category" in filters:
        top = next(c for c in bank.categories if c.id == filters["category"])
        ids = [c.id for c in bank.categories
               if c.path == top.path or c.path.startswith(top.path + "/")]
        query = query.where(Question.category_id.in_(ids))
    return query.order_by(Question.external_id).options(
        joinedload(Question.current_version), joinedload(Question.category),
        selectinload(Question.tags))


@bp.get("/banks/<code>")
def bank(code: str):
    bank = db.session.scalar(sa.select(QuestionBank).where(QuestionBank.code == code).options(
        selectinload(QuestionBank.categories), selectinload(QuestionBank.editors)))
    if bank is None:
        raise NotFound()
    filters = _filters(bank)
    page = db.paginate(_browse_query(bank, filters), page=request.args.get("page", 1, int),
                       per_page=PER_PAGE, error_out=False)
    tags = db.session.scalars(
        sa.select(QuestionTag.tag).join(Question, Question.id == QuestionTag.question_id)
        .where(Question.bank_id == bank.id).distinct().order_by(QuestionTag.tag)).all()
    # the latest item statistics of the questions on this page: one query
    stats = item_statistics.latest_for_questions(q.id for q in page.items)
    by_id = {q.id: q for q in page.items}
    return render_template(
        "questions/bank.html", bank=bank, page=page, filters=filters, tags=tags,
        counts=_status_counts(bank.id).get(bank.id, {}), can_edit=can_edit_bank(current_user, bank),
        excerpt=display.excerpt, statuses=list(QuestionStatus), types=list(ItemType),
        formats=_available_formats(), back=request.full_path.rstrip("?"),
        item_stats=stats, scatter=item_scatter(
            [(st.facility, st.discrimination, by_id[qid].external_id)
             for qid, st in stats.items()], "bank-scatter") if stats else None,
        flag_labels=FLAG_LABELS)


def _back_to(bank: QuestionBank) -> str:
    """The browser page the bulk form came from (same bank only), else the bank."""
    base = url_for("questions.bank", code=bank.code)
    back = request.form.get("back", "")
    parts = urlsplit(back)
    if not parts.scheme and not parts.netloc and parts.path == base:
        return back
    return base


@bp.post("/banks/<code>/bulk")
def bulk(code: str):
    bank = _bank(code)
    require_edit_bank(current_user, bank)
    ids = request.form.getlist("ids", type=int)
    action = request.form.get("action")
    if action not in ("tag", "retire", "review"):
        abort(400)
    questions = db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.id.in_(ids))
        .options(joinedload(Question.current_version))).all() if ids else []
    if not questions:
        flash(_("Select at least one question first."), "warning")
        return redirect(_back_to(bank))
    live = [q for q in questions if q.status != QuestionStatus.RETIRED]
    try:
        message = _bulk_action(action, live)
    except ValidationFailed as exc:
        db.session.rollback()
        flash(message_for(exc), "danger")
        return redirect(_back_to(bank))
    db.session.commit()
    flash(message, "success")
    return redirect(_back_to(bank))


def _bulk_action(action: str, questions: list[Question]) -> str:
    actor = _actor()
    if action == "tag":
        tag = request.form.get("tag", "")
        changed = sum(1 for q in questions
                      if services.add_knowledge_point(q, tag, actor=actor) is not None)
        return _("Tag “%(tag)s” added to %(count)s question(s) (a new version each; approved "
                 "questions go back to draft until approved again).",
                 tag=tag.strip(), count=changed)
    if action == "retire":
        reason = request.form.get("reason", "").strip()
        if not reason:
            raise ValidationFailed("reason", "required")
        for question in questions:
            services.retire(question, actor=actor, reason=reason)
        return _("%(count)s question(s) retired.", count=len(questions))
    drafts = [q for q in questions if q.status == QuestionStatus.DRAFT]
    for question in drafts:
        services.submit_for_review(question, actor=actor)
    return _("%(count)s draft(s) sent for review; questions that were not drafts were left "
             "as they were.", count=len(drafts))


# -- the question page -------------------------------------------------------------


def _versions(question: Question) -> list[QuestionVersion]:
    return db.session.scalars(
        sa.select(QuestionVersion).where(QuestionVersion.question_id == question.id)
        .options(joinedload(QuestionVersion.author)).order_by(QuestionVersion.number.desc())
    ).all()


def _parametric_sample(spec, seed: int):
    """For the authors: this draw's numbers and the answer the key gives."""
    if not isinstance(spec, ParametricSpec):
        return None
    values = instantiate(spec, seed)
    try:
        answer = format_answer(spec, compute_answer(spec, values, DEFAULT_CALCULATORS))
    except ItemSpecError:
        answer = None
    return {"values": values, "answer": answer}


@bp.get("/<int:question_id>")
def question(question_id: int):
    question = _question(question_id)
    version = question.current_version
    spec = services.spec_of(version)
    seed = request.args.get("seed", 0, int)
    reviews = db.session.scalars(
        sa.select(QuestionReview).where(QuestionReview.question_id == question.id)
        .options(joinedload(QuestionReview.reviewer)).order_by(QuestionReview.id.desc())).all()
    versions = _versions(question)
    numbers = {v.id: v.number for v in versions}
    return render_template(
        "questions/question.html", question=question, bank=question.bank, version=version,
        spec=spec, raw=spec.to_dict(), preview=display.candidate_preview(spec, seed=seed),
        seed=seed, next_seed=secrets.randbelow(10**6) + 1,
        sample=_parametric_sample(spec, seed), versions=versions,
        version_numbers=numbers, reviews=reviews, spec_yaml=editor.spec_yaml(spec),
        statutes=format_statutes(version.statutes),
        can_edit=can_edit_bank(current_user, question.bank),
        can_review=can_review_question(current_user, question),
        own_version=version.author_id == current_user.id,
        review_form=ReviewForm(formdata=None), retire_form=RetireForm(formdata=None))


@bp.get("/<int:question_id>/versions/<int:number>")
def version(question_id: int, number: int):
    question = _question(question_id)
    versions = {v.number: v for v in _versions(question)}
    if number not in versions:
        raise NotFound()
    shown = versions[number]
    previous = versions.get(number - 1)
    lines = display.diff(display.version_text(previous) if previous else None,
                         display.version_text(shown))
    return render_template("questions/version.html", question=question, bank=question.bank,
                           shown=shown, previous=previous, lines=lines,
                           numbers=sorted(versions, reverse=True))


# -- review and retirement ------------------------------------------------------------


@bp.post("/<int:question_id>/submit")
def submit(question_id: int):
    question = _question(question_id)
    require_edit_bank(current_user, question.bank)
    try:
        services.submit_for_review(question, actor=_actor())
    except InvalidTransition:
        db.session.rollback()
        flash(_("Only a draft can be sent for review."), "warning")
        return redirect(_question_url(question, "review"))
    db.session.commit()
    flash(_("Version %(number)s sent for review. Another trainer or administrator approves it.",
            number=question.current_version.number), "success")
    return redirect(_question_url(question, "review"))


def _own_version_message(question: Question) -> str:
    return _("You wrote version %(number)s yourself, so you cannot approve it or request "
             "changes to it: another trainer or administrator must review it.",
             number=question.current_version.number)


@bp.post("/<int:question_id>/approve")
def approve(question_id: int):
    question = _question(question_id)
    form = ReviewForm()
    if question.current_version.author_id == current_user.id:
        flash(_own_version_message(question), "danger")
        return redirect(_question_url(question, "review"))
    if not form.validate_on_submit():
        flash(_("The comment is too long."), "danger")
        return redirect(_question_url(question, "review"))
    try:
        services.approve(question, reviewer=_actor(), comment=form.comment.data or "")
    except (InvalidTransition, ValidationFailed):
        db.session.rollback()
        flash(_("This question cannot be approved in its current state."), "warning")
        return redirect(_question_url(question, "review"))
    db.session.commit()
    flash(_("Version %(number)s approved: exams and quizzes now use it.",
            number=question.current_version.number), "success")
    return redirect(_question_url(question, "review"))


@bp.post("/<int:question_id>/request-changes")
def request_changes(question_id: int):
    question = _question(question_id)
    form = ReviewForm()
    if question.current_version.author_id == current_user.id:
        flash(_own_version_message(question), "danger")
        return redirect(_question_url(question, "review"))
    if not form.validate_on_submit() or not form.comment.data:
        flash(_("Say what should change: the comment is required."), "danger")
        return redirect(_question_url(question, "review"))
    try:
        services.request_changes(question, reviewer=_actor(), comment=form.comment.data)
    except InvalidTransition:
        db.session.rollback()
        flash(_("Changes can only be requested while the question is in review."), "warning")
        return redirect(_question_url(question, "review"))
    db.session.commit()
    flash(_("Changes requested: the question is a draft again."), "success")
    return redirect(_question_url(question, "review"))


@bp.post("/<int:question_id>/retire")
def retire(question_id: int):
    question = _question(question_id)
    require_edit_bank(current_user, question.bank)
    form = RetireForm()
    if not form.validate_on_submit():
        flash(message_for(ValidationFailed("reason", "required")), "danger")
        return redirect(_question_url(question, "retire"))
    services.retire(question, actor=_actor(), reason=form.reason.data)
    db.session.commit()
    flash(_("The question is retired: no new exam or quiz will use it."), "success")
    return redirect(_question_url(question))


# -- the editor ---------------------------------------------------------------------


def _metadata_data(version: QuestionVersion | None, question: Question | None) -> dict:
    if version is None:
        return {"difficulty": 3}
    return {"difficulty": version.difficulty,
            "knowledge_points": "、".join(version.knowledge_points or []),
            "statutes": format_statutes(version.statutes),
            "category": question.category.path if question and question.category else ""}


def _editor_page(bank: QuestionBank, form: QuestionForm, *, question=None, preview=None,
                 notice: str | None = None):
    if form.mode.data != "yaml":
        editor.add_spare_rows(form)
    return render_template(
        "questions/edit.html", bank=bank, question=question, form=form,
        item_type=form.type.data, structured=editor.STRUCTURED, preview=preview,
        notice=notice, categories=[c.path for c in bank.categories])


def _handle_editor_post(bank: QuestionBank, form: QuestionForm, question: Question | None):
    """Add rows, preview or save; returns a response."""
    if form.mode.data != "yaml" and form.type.data not in editor.STRUCTURED:
        abort(400)
    if "add_row" in request.form:
        editor.add_spare_rows(form, extra=1)
        return _editor_page(bank, form, question=question)
    valid = form.validate_on_submit()
    built = editor.build_yaml(form) if form.mode.data == "yaml" else \
        editor.build_structured(form)
    if built.ok and form.mode.data == "yaml":
        form.type.data = built.spec.item_type.value
    if "preview" in request.form:
        preview = display.candidate_preview(built.spec) if built.ok else None
        return _editor_page(bank, form, question=question, preview=preview)
    if not (valid and built.ok):
        return _editor_page(bank, form, question=question)
    if question is not None and form.base_version.data != str(question.current_version.number):
        current = question.current_version
        form.form_errors.append(_(
            "Version %(number)s was saved meanwhile by %(name)s, so your changes were not "
            "saved. Open the question again to see that version, then make your changes "
            "there.", number=current.number,
            name=current.author.real_name if current.author else _("import")))
        return _editor_page(bank, form, question=question)
    meta = services.Metadata(difficulty=form.difficulty.data,
                             knowledge_points=split_knowledge_points(form.knowledge_points.data),
                             statutes=tuple(form.parsed_statutes or ()))
    try:
        if question is None:
            question = services.create_question(bank, built.spec, meta, actor=_actor(),
                                                category=form.category.data or "",
                                                note=form.note.data or "")
            saved = question.current_version
        else:
            category_before = question.category_id
            saved = services.edit_question(question, built.spec, meta, actor=_actor(),
                                           category=form.category.data or "",
                                           note=form.note.data or "")
    except ValidationFailed as exc:
        db.session.rollback()
        apply_error(form, exc)
        return _editor_page(bank, form, question=question)
    db.session.commit()
    if saved is not None:
        flash(_("Version %(number)s of %(id)s saved.", number=saved.number,
                id=question.external_id), "success")
    elif question.category_id != category_before:
        flash(_("Category saved. The question itself did not change, so no new version was "
                "made."), "info")
    else:
        flash(_("Nothing changed, so no new version was made."), "info")
    return redirect(_question_url(question))


@bp.route("/banks/<code>/new", methods=["GET", "POST"])
def new_question(code: str):
    bank = _bank(code)
    require_edit_bank(current_user, bank)
    item_type = request.values.get("type")
    if item_type not in ItemType._value2member_map_:
        return render_template("questions/choose_type.html", bank=bank, types=list(ItemType),
                               structured=editor.STRUCTURED)
    if request.method == "POST":
        return _handle_editor_post(bank, QuestionForm(), None)
    mode = "form" if item_type in editor.STRUCTURED and request.args.get("mode") != "yaml" \
        else "yaml"
    data = {**editor.form_data(None, item_type), **_metadata_data(None, None), "mode": mode,
            "spec_yaml": editor.example_yaml(item_type)}
    return _editor_page(bank, QuestionForm(formdata=None, data=data))


@bp.route("/<int:question_id>/edit", methods=["GET", "POST"])
def edit_question(question_id: int):
    question = _question(question_id)
    bank = question.bank
    require_edit_bank(current_user, bank)
    if question.status == QuestionStatus.RETIRED:
        flash(_("A retired question is not edited. Write a new question instead."), "warning")
        return redirect(_question_url(question))
    if request.method == "POST":
        return _handle_editor_post(bank, QuestionForm(), question)
    spec = services.spec_of(question.current_version)
    fits = editor.structured_fits(spec)
    mode = "form" if fits and request.args.get("mode") != "yaml" else "yaml"
    notice = None
    if not fits and spec.item_type in editor.STRUCTURED:
        notice = _("This question uses settings the simple form does not show, so it opens "
                   "in the YAML editor.")
    data = {**editor.form_data(spec if fits else None, spec.item_type.value),
            **_metadata_data(question.current_version, question), "mode": mode,
            "spec_yaml": editor.spec_yaml(spec),
            "base_version": str(question.current_version.number)}
    return _editor_page(bank, QuestionForm(formdata=None, data=data), question=question,
                        notice=notice)


# -- retirement by law ---------------------------------------------------------------


def _editable_bank_ids() -> list[int]:
    return list(db.session.scalars(
        sa.select(QuestionBank.id).where(editable_banks_filter(current_user))))


@bp.route("/retire-by-law", methods=["GET", "POST"])
def retire_by_law():
    """GET: how many questions cite the law version (in banks the user edits); POST: retire."""
    if request.method == "GET":
        form = RetireByLawForm(request.args or None, meta={"csrf": False})
        if not request.args or not form.validate():
            return render_template("questions/retire_by_law.html", form=form, citing=None,
                                   confirm=None), 200
        confirm = ConfirmRetireByLawForm(formdata=None, data=form.data)
    else:
        confirm = ConfirmRetireByLawForm()
        if not (confirm.law.validate(confirm) and confirm.version.validate(confirm)):
            abort(400)
        form = RetireByLawForm(formdata=None, data={"law": confirm.law.data,
                                                    "version": confirm.version.data})
        if confirm.validate_on_submit():
            count = services.retire_citing(
                confirm.law.data, confirm.version.data.isoformat(), actor=_actor(),
                reason=confirm.reason.data, bank_ids=_editable_bank_ids())
            db.session.commit()
            flash(_("%(count)s question(s) citing %(law)s (%(version)s) retired.",
                    count=count, law=confirm.law.data, version=confirm.version.data.isoformat()),
                  "success")
            return redirect(url_for("questions.banks"))
    citing = services.questions_citing(form.law.data, form.version.data.isoformat(),
                                       bank_ids=_editable_bank_ids()) \
        if form.version.data and form.law.data else []
    return render_template("questions/retire_by_law.html", form=form, citing=citing,
                           confirm=confirm, excerpt=display.excerpt)


# -- import and export ------------------------------------------------------------------


def _import_form(formdata=None) -> ImportForm:
    form = ImportForm() if formdata is None else ImportForm(formdata=formdata)
    available = _available_formats()
    form.format.choices = [SelectChoice("", _("Guess from the file name"))] + [
        SelectChoice(name, label if name in available
                     else _("%(format)s (not available yet)", format=label))
        for name, label in FORMAT_LABELS.items()]
    return form


def _import_page(bank: QuestionBank, form: ImportForm):
    return render_template("questions/import.html", bank=bank, form=form,
                           formats=_available_formats(), max_mb=MAX_FILE_BYTES // 2**20,
                           has_template=_xlsx_template() is not None)


@bp.route("/banks/<code>/import", methods=["GET", "POST"])
def import_file(code: str):
    bank = _bank(code)
    require_edit_bank(current_user, bank)
    form = _import_form()
    if request.method == "GET" or not form.validate_on_submit():
        return _import_page(bank, form)
    upload = form.file.data
    filename = re.split(r"[/\\]", upload.filename or "")[-1][:200] or "upload"
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        form.file.errors = [*form.file.errors, _("The file is larger than %(max_mb)s MB.",
                                                 max_mb=MAX_FILE_BYTES // 2**20)]
        return _import_page(bank, form)
    fmt = form.format.data or ""
    try:
        fmt = fmt if fmt in transfer.FORMATS else transfer.guess_format(filename, data)
        transfer.format_module(fmt)
    except transfer.UnknownFormat:
        if fmt in transfer.FORMATS:
            form.format.errors = [*form.format.errors, _(
                "The %(format)s format is not available in this version yet. Choose another "
                "format, or save the questions as bank YAML.", format=FORMAT_LABELS[fmt])]
        else:
            form.format.errors = [*form.format.errors, _(
                "The format cannot be told from the file name %(filename)s: choose it in the "
                "list.", filename=filename)]
        return _import_page(bank, form)
    token = uploads.save(data, user_id=current_user.id, bank_code=bank.code,
                         filename=filename, fmt=fmt)
    return redirect(url_for("questions.import_preview", code=bank.code, token=token))


def _upload_or_restart(bank: QuestionBank, token: str):
    upload = uploads.load(token, user_id=current_user.id, bank_code=bank.code)
    if upload is None:
        flash(_("This upload has expired or belongs to another session. Upload the file "
                "again."), "warning")
    return upload


@bp.route("/banks/<code>/import/<token>", methods=["GET", "POST"])
def import_preview(code: str, token: str):
    bank = _bank(code)
    require_edit_bank(current_user, bank)
    upload = _upload_or_restart(bank, token)
    if upload is None:
        return redirect(url_for("questions.import_file", code=bank.code))
    parsed = transfer.parse_file(upload.data, filename=upload.filename, fmt=upload.format)
    if request.method == "POST":
        valid_only = request.form.get("valid_only") == "1"
        report = transfer.apply(bank, parsed, actor=_actor(), valid_only=valid_only)
        db.session.commit()
        uploads.discard(token)
        return render_template("questions/import_report.html", bank=bank, report=report,
                               upload=upload, valid_only=valid_only)
    items = parsed.result.items
    external_ids = [i.external_id for i in items if i.external_id]
    existing = set(db.session.scalars(sa.select(Question.external_id).where(
        Question.bank_id == bank.id, Question.external_id.in_(external_ids)))) \
        if external_ids else set()
    header = parsed.header
    return render_template(
        "questions/import_preview.html", bank=bank, upload=upload, parsed=parsed,
        items=items, problems=parsed.result.problems, existing=existing,
        other_bank=header.code if header is not None and header.code != bank.code else None,
        excerpt=display.excerpt)


@bp.get("/banks/<code>/export/<fmt>")
def export(code: str, fmt: str):
    bank = _bank(code)
    if fmt not in transfer.FORMATS:
        raise NotFound()
    try:
        data = transfer.export_bank(bank, fmt)
    except transfer.UnknownFormat:
        flash(_("The %(format)s format is not available in this version yet.",
                format=FORMAT_LABELS[fmt]), "warning")
        return redirect(url_for("questions.bank", code=bank.code))
    extension, mimetype = EXPORT_FILES[fmt]
    response = send_file(BytesIO(data), mimetype=mimetype, as_attachment=True,
                         download_name=f"{bank.code}{extension}", max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/import-template.xlsx")
def xlsx_template():
    template = _xlsx_template()
    if template is None:
        raise NotFound()
    data = template()
    return send_file(BytesIO(data) if isinstance(data, bytes) else data,
                     mimetype=EXPORT_FILES["xlsx"][1], as_attachment=True,
                     download_name="question-template.xlsx", max_age=0)

