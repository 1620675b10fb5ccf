"""The public authenticity page (/echtheit, no login): anyone checks whether a statement or letter
is genuine, by uploading the PDF (checked by content, size-limited, throttled, never stored) or by
typing its reference and check code (also what the QR code on the document opens)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from forms.signing import CheckCodeForm, CheckFileForm
from workflow.services import authenticity
from workflow.services.errors import NotFound, RuleViolation

bp = Blueprint("authenticity", __name__)


def _page(status: int = 200, *, answer=None, looked_up=False, file_form=None, code_form=None):
    return render_template(
        "authenticity/index.html",
        answer=answer,
        looked_up=looked_up,
        file_form=file_form or CheckFileForm(),
        code_form=code_form or CheckCodeForm(),
        limit_mb=current_app.config["AUTHENTICITY_MAX_BYTES"] // (1024 * 1024),
    ), status


def _by_code(form: CheckCodeForm):
    try:
        finding = authenticity.check_code(form.reference.data, form.code.data, request.remote_addr)
    except (NotFound, RuleViolation) as refusal:
        form.code.errors = [*form.code.errors, refusal.message]
        return _page(refusal.status, code_form=form)
    return _page(answer=authenticity.public_answer(finding), looked_up=True, code_form=form)


@bp.get("/echtheit")
def index():
    # The QR code on a document opens this page with its reference and code filled in.
    if "aktenzeichen" in request.args or "pruefcode" in request.args:
        form = CheckCodeForm(
            data={
                "reference": request.args.get("aktenzeichen", ""),
                "code": request.args.get("pruefcode", ""),
            },
            meta={"csrf": False},
        )
        if form.validate():
            return _by_code(form)
        return _page(422, code_form=form)
    return _page()


@bp.post("/echtheit/code")
def check_code():
    form = CheckCodeForm()
    if form.validate_on_submit():
        return _by_code(form)
    return _page(422, code_form=form)


@bp.post("/echtheit/datei")
def check_file():
    # A body beyond MAX_CONTENT_LENGTH is refused (413) before anything reads it; a file beyond the
    # page's limit is refused while it is read (services/documents.read_limited).
    form = CheckFileForm()
    if form.validate_on_submit():
        try:
            finding = authenticity.check_upload(form.file.data.stream, request.remote_addr)
        except RuleViolation as refusal:
            form.file.errors = [*form.file.errors, *refusal.messages]
        else:
            return _page(answer=authenticity.public_answer(finding), file_form=form)
    return _page(422, file_form=form)
