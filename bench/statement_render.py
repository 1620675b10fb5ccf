"""Median render time of a statement (PDF/A-3 with the decision record embedded) against a minimal
one-paragraph WeasyPrint document, and the cost of signing it (PAdES B-B with pyHanko, as issuing
does: the certificate's key decrypted, the visible field, the CMS signature), on the same machine.

    .venv/bin/python bench/statement_render.py [--runs N]

Builds a throw-away SQLite database with the demo alliance, brings one application to a closed vote
through the real operations, then renders its statement N times exactly as issuing does (template,
plain data, PDF/A-3u, attachment, assets-only URL fetcher), and the minimal document N times; then
signs the rendered statement N times with a certificate made for the run (RSA 2048, from a CA of
its own) and validates the signed file N times with pyHanko's validator (as verify-statement and
the authenticity page do). Nothing is stored; the figures are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MINIMAL = '<html lang="de"><title>Minimal</title><p>Ein Absatz.</p></html>'


def _median_ms(fn, runs: int) -> tuple[float, float, float]:
    fn()  # warm-up: fonts, stylesheets, imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from weasyprint import HTML

    from workflow import create_app, demo, pki
    from workflow.extensions import db
    from workflow.models.types import utcnow
    from workflow.services import authenticity, signing, statements

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "bench",
                "INSTANCE_PATH": tmp,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 8,
                "ARGON2_PARALLELISM": 1,
            }
        )
        with app.app_context():
            upgrade()
            base = demo.seed_alliance()
            people = base["people"]
            sponsor = people["applicant-bildungswerk"]
            application = demo.new_application(sponsor, "Benchmark: Fachkräfte für die Pflege")
            walker = demo.Walker(people)
            walker.walk_to(application, "partner_vote", sponsor)
            walker.vote(application, ["approve"] * 9 + ["reject", "abstain"] * 2 + ["approve"])
            vote = application.current_vote
            texts = {
                "statement": "Der Lenkungskreis befürwortet das Projekt. " * 12,
                "conditions": "Halbjährlicher Bericht an den Lenkungskreis.",
                "recommendations": "Kooperation mit den Arbeitsagenturen ausbauen.",
                "requested_changes": "",
            }
            record = statements.decision_record(
                application,
                vote,
                reference=f"{application.reference}/S1",
                version=1,
                replaces=None,
                decision="endorse",
                texts=texts,
                issued_at=utcnow(),
                issued_by=people["coordinator"],
                budget=statements.budget_facts(application),
            )
            context = statements.pdf_context(application, record, vote)
            check = signing.printed_check(
                record["statement"]["reference"], signing.new_check_code(), signed=True
            )
            context = context | {"check": check}
            sample, boxes = statements.render_statement_with_boxes(context, record)

            statement = _median_ms(lambda: statements.render_statement(context, record), args.runs)
            minimal = _median_ms(lambda: HTML(string=MINIMAL).write_pdf(), args.runs)

            ca, certificate = pki.demo_certificates(base["alliance"].name)
            signing.install(
                base["alliance"],
                people["coordinator"],
                pki.to_pkcs12(certificate, "bench", chain=(ca,)),
                "bench",
            )
            app.config["SIGNING_TRUST_ROOTS"] = [str(Path(tmp) / "ca.pem")]
            (Path(tmp) / "ca.pem").write_bytes(ca.pem)

            def sign():
                prepared = signing.prepare(base["alliance"])
                return signing.sign(
                    sample,
                    prepared,
                    boxes["signaturfeld"],
                    reference="X/S1",
                    code=check["code"],
                    reason="Bench",
                    place="Lüneburg",
                )

            signed = sign()
            signature = _median_ms(sign, args.runs)
            validation = _median_ms(lambda: authenticity.check_signatures(signed), args.runs)
            (verdict,) = authenticity.check_signatures(signed)
            assert verdict.intact and verdict.trusted
            db.session.remove()
            db.engine.dispose()

    from io import BytesIO

    from pypdf import PdfReader

    pages = len(PdfReader(BytesIO(sample)).pages)
    print(f"runs: {args.runs} each (after one warm-up)")
    print(
        f"statement (PDF/A-3u, {pages} pages, {len(sample) // 1024} KiB, JSON attached): "
        f"median {statement[0]:.1f} ms (min {statement[1]:.1f}, max {statement[2]:.1f})"
    )
    print(
        f"minimal one-paragraph document: median {minimal[0]:.1f} ms (min {minimal[1]:.1f}, max {minimal[2]:.1f})"
    )
    print(f"ratio statement / minimal: {statement[0] / minimal[0]:.1f}")
    print(
        f"signing it (PAdES B-B, visible field, RSA 2048; {len(signed) // 1024} KiB signed): "
        f"median {signature[0]:.1f} ms (min {signature[1]:.1f}, max {signature[2]:.1f}), "
        f"{signature[0] / statement[0]:.2f} × the rendering"
    )
    print(
        f"validating the signed file (pyHanko, trust roots, no fetching): median {validation[0]:.1f} ms "
        f"(min {validation[1]:.1f}, max {validation[2]:.1f})"
    )


if __name__ == "__main__":
    main()
