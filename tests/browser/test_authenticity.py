"""The public authenticity page in a real browser, as a stranger uses it: no login, a statement
uploaded through the form and the answer read; every state of the page passes axe-core (WCAG 2.1
A/AA) and the Nu HTML Checker."""

from __future__ import annotations

from tests import signing_support
from tests.browser.conftest import axe_violations, screenshot, vnu_errors
from tests.signing_support import printed_code
from workflow.services import statements

test_pki, signed = signing_support.test_pki, signing_support.signed


def test_a_stranger_checks_a_statement_and_every_answer_is_accessible(signed, new_page, tmp_path):
    statement = statements.latest(signed.application("endorsed"))
    data = statements.stored_bytes(statement)
    upload = tmp_path / "stellungnahme.pdf"
    upload.write_bytes(data)
    page = new_page()
    pages: dict[str, str] = {}

    response = page.goto("/echtheit")
    pages["form"] = response.text()
    assert not axe_violations(page)

    page.set_input_files("#file", str(upload))
    with page.expect_navigation():
        page.click("form[action$='/echtheit/datei'] button")
    assert "Echt und unverändert" in page.inner_text("#ergebnis")
    assert statement.reference in page.inner_text("#ergebnis")
    pages["genuine"] = page.content()
    assert not axe_violations(page)
    screenshot(page, "echtheit-echt")

    page.fill("#reference", statement.reference)
    page.fill("#code", "AAAA-BBBB-CCCC")
    with page.expect_navigation():
        page.click("form[action$='/echtheit/code'] button")
    assert "kein ausgestelltes Dokument" in page.inner_text("main")
    pages["wrong code"] = page.content()
    assert not axe_violations(page)

    page.goto(f"/echtheit?aktenzeichen={statement.reference}&pruefcode={printed_code(data)}")
    assert "Dieses Dokument wurde hier ausgestellt" in page.inner_text("#ergebnis")
    pages["code"] = page.content()
    assert not axe_violations(page)

    (tmp_path / "fremd.pdf").write_bytes(signing_support.first_revision(data))
    page.set_input_files("#file", str(tmp_path / "fremd.pdf"))
    with page.expect_navigation():
        page.click("form[action$='/echtheit/datei'] button")
    assert "Nicht bestätigt" in page.inner_text("#ergebnis")
    pages["not confirmed"] = page.content()
    assert not axe_violations(page)

    errors = vnu_errors(pages, tmp_path)
    assert not errors, errors
