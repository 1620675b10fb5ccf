"""The corpus of bad inputs (issue 8): named values that every form field and every field of an API
body must survive with a 4xx and a clear German message, never a 500, nothing saved broken.

Form values are the octets a browser (or anything else) may send in a field, before decoding: a lone
surrogate arrives as the invalid UTF-8 it is encoded to (%ED%A0%80). JSON values are raw JSON text,
so that what no json.dumps would write (1e309, NaN, "\\ud800") can be sent as well.

Each value names the kinds of field it is tried on one kind at a time (the other fields valid), on
top of the request that puts it into every field at once:
text (text boxes, text areas), number, date (and time), choice (select, radio, checkbox), hidden.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from dataclasses import dataclass

TEXT, NUMBER, DATE, CHOICE, HIDDEN = "text", "number", "date", "choice", "hidden"
ALL_KINDS = (TEXT, NUMBER, DATE, CHOICE, HIDDEN)

LONG = 100_000  # characters of the over-long string


@dataclass(frozen=True)
class Value:
    name: str
    raw: bytes  # form: the field's octets; JSON: the value's JSON text (UTF-8)
    kinds: tuple[str, ...] = ()  # tried on these kinds of field one kind at a time

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "surrogatepass")


def _form(name: str, value: str | bytes, *kinds: str) -> Value:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return Value(name, raw, kinds)


def _json(name: str, text: str, *kinds: str) -> Value:
    return Value(name, text.encode("utf-8", "surrogatepass"), kinds)


# -- what a form field may receive ------------------------------------------------------------------

FORM_VALUES: tuple[Value, ...] = (
    _form("empty", ""),
    _form("blank", "  \t  ", TEXT),
    _form("over-long", "x" * LONG),  # alone in each text field, see OVER_LONG
    _form("nul", "Titel\x00mit NUL", TEXT, HIDDEN, NUMBER, DATE),
    _form("nul-only", "\x00", TEXT),
    _form("control-characters", "Zeile\x01\x07\x08\x0b\x0c\x1b[31m\x7fEnde", TEXT, HIDDEN),
    _form("lone-surrogate", b"\xed\xa0\x80", TEXT),  # %ED%A0%80: "\ud800" as UTF-8
    _form("invalid-utf8", b"\xff\xfe\xc3(", TEXT, CHOICE),
    _form("rtl-override", "Rechnung\u202efdp.exe", TEXT),
    _form("zero-width-and-bom", "\ufeff\u200b\u200d\u2060Titel\ufeff", TEXT),
    _form("noncharacters", "\uffff\ufffe\U0010ffff", TEXT),
    _form("emoji-zalgo", "👩‍👩‍👧 Z̷̛a̴l̶g̵o ﷽ 𝕏", TEXT),
    _form("html-script", "<script>alert(1)</script>", TEXT),
    _form("html-attribute", '"><img src=x onerror=alert(1)>'),
    _form("sql", "'; DROP TABLE applications; --", TEXT, CHOICE),
    _form("sql-or", "1' OR '1'='1"),
    _form("template", "{{ 7*7 }}{% print(1) %}${7*7}%s%n{0}", TEXT),
    _form("line-breaks", "a\r\nb\rc\nd\u2028e\u2029f", TEXT),
    _form("path", "../../../etc/passwd"),
    _form("1e309", "1e309", NUMBER, HIDDEN, TEXT),
    _form("10**40", "1" + "0" * 40, NUMBER, HIDDEN, CHOICE, TEXT),
    _form("-10**40", "-1" + "0" * 40, NUMBER),
    _form("5000-digits", "9" * 5000, NUMBER, HIDDEN, CHOICE, TEXT),
    _form("NaN", "NaN", NUMBER),
    _form("Infinity", "Infinity", NUMBER),
    _form("negative", "-1", NUMBER, HIDDEN),
    _form("fraction", "1.5", NUMBER),
    _form("german-fraction", "1.234,567", TEXT),  # the euro fields are text boxes
    _form("arabic-digits", "١٢٣", NUMBER),
    _form("2026-02-30", "2026-02-30", DATE),
    _form("99999-01-01", "99999-01-01", DATE),
    _form("0000-00-00", "0000-00-00", DATE),
    # valid dates far out: the day after, or Berlin's time of, 9999-12-31 does not exist
    _form("9999-12-31", "9999-12-31", DATE),
    _form("0001-01-01", "0001-01-01", DATE),
    _form("german-date", "31.12.2026", DATE),
    _form("25:61", "25:61", DATE),
    _form("boolean-words", "true", CHOICE),
)
OVER_LONG = next(v for v in FORM_VALUES if v.name == "over-long")
# (day, time of day) put together into a form's date and time fields: valid as input, but
# 01.01.0001 00:30 in Berlin is before the first UTC moment, and 31.12.9999 has no day after.
FAR_OUT_MOMENTS = ((b"0001-01-01", b"00:30"), (b"9999-12-31", b"23:59"))


# -- what a field of a JSON body may receive --------------------------------------------------------

JSON_VALUES: tuple[Value, ...] = (
    _json("empty", '""', TEXT),
    _json("blank", '"  \\t  "', TEXT),
    _json("over-long", json.dumps("x" * LONG)),  # alone in each text field, see JSON_OVER_LONG
    _json("nul", '"Titel\\u0000mit NUL"', TEXT, DATE),
    _json("control-characters", '"Zeile\\u0001\\u0007\\u000b\\u001b[31m\\u007fEnde"', TEXT),
    _json("lone-surrogate", '"\\ud800"', TEXT, DATE),
    _json("lone-low-surrogate", '"x\\udc00y"', TEXT),
    _json("surrogate-as-utf8", '"\ud800"', TEXT),  # the octets ED A0 80 in the body: not UTF-8
    _json("rtl-override", '"Rechnung\\u202efdp.exe"', TEXT),
    _json("noncharacters", '"\\uffff\\ufffe\\udbff\\udfff"', TEXT),
    _json("emoji-zalgo", json.dumps("👩‍👩‍👧 Z̷̛a̴l̶g̵o ﷽ 𝕏", ensure_ascii=False), TEXT),
    _json("html-script", json.dumps("<script>alert(1)</script>"), TEXT),
    _json("sql", json.dumps("'; DROP TABLE applications; --"), TEXT),
    _json("template", json.dumps("{{ 7*7 }}{% print(1) %}%s%n")),
    _json("1e309", "1e309", NUMBER),
    _json("-1e309", "-1e309"),
    _json("1e300", "1e300", NUMBER),
    _json("10**40", "1" + "0" * 40, NUMBER),
    _json("-10**40", "-1" + "0" * 40),
    _json("10**400", "1" + "0" * 400, NUMBER),
    _json("5000-digits", "9" * 5000),
    _json("NaN", "NaN"),
    _json("Infinity", "Infinity"),
    _json("-Infinity", "-Infinity"),
    _json("number-as-string", '"12"', NUMBER),
    _json("fraction", "1.5", NUMBER),
    _json("4.0", "4.0", NUMBER),
    _json("negative", "-1", NUMBER),
    _json("zero", "0"),
    _json("true", "true", NUMBER, TEXT),
    _json("false", "false"),
    _json("null", "null", TEXT),
    _json("list", '["a", 1]', TEXT),
    _json("empty-list", "[]"),
    _json("object", '{"a": 1}', NUMBER),
    _json("empty-object", "{}"),
    _json("2026-02-30", '"2026-02-30"', DATE),
    _json("99999-01-01", '"99999-01-01"', DATE),
    _json("9999-12-31", '"9999-12-31"', DATE),
    _json("0001-01-01", '"0001-01-01"', DATE),
    _json("german-date", '"31.12.2026"', DATE),
    _json("date-time", '"2026-05-01T12:00:00Z"', DATE),
)
JSON_OVER_LONG = next(v for v in JSON_VALUES if v.name == "over-long")

# Whole bodies that are not a JSON object (or not JSON at all): (name, octets).
JSON_BODIES: tuple[tuple[str, bytes], ...] = (
    ("nothing", b""),
    ("null", b"null"),
    ("list", b"[]"),
    ("string", b'"x"'),
    ("number", b"1e309"),
    ("not-json", b"title=x"),
    ("truncated", b'{"title": "x'),
    ("invalid-utf8", b'{"title": "\xff\xfe"}'),
    ("utf16", '{"title": "x"}'.encode("utf-16")),
    ("bom", b'\xef\xbb\xbf{"title": "x"}'),
    ("nested-100000", b"[" * 100_000 + b"]" * 100_000),
    ("nested-objects", b'{"a":' * 5_000 + b"1" + b"}" * 5_000),
    ("duplicate-keys", b'{"title": "x", "title": "\\u0000"}'),
    ("nul-key", b'{"\\u0000": 1}'),
    ("surrogate-key", b'{"\\ud800": 1}'),
    ("NaN", b'{"title": NaN}'),
)


# -- uploads ----------------------------------------------------------------------------------------

MB = 1024 * 1024


def pdf_bomb(inflated: int = 110 * MB, in_form: bool = False) -> bytes:
    """A small, well-formed one-page PDF whose content stream inflates to `inflated` bytes (blanks,
    a valid content stream): about 110 kB on disk for 110 MB unpacked. `in_form`: the page only
    draws a form XObject, and that one holds the bomb."""
    compressor = zlib.compressobj(9)
    chunk = b" " * MB
    parts = [compressor.compress(chunk) for _ in range(inflated // MB)]
    parts.append(compressor.flush())
    stream = b"".join(parts)
    bomb = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Fm1 5 0 R >> >> >>",
    ]
    form = b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << >>"
    if in_form:
        objects += [b"<< /Length 8 >>\nstream\n/Fm1 Do\nendstream", form + bomb.removeprefix(b"<<")]
    else:
        objects += [bomb, form + b" /Length 0 >>\nstream\n\nendstream"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bomb(unpacked: int = 200 * MB) -> bytes:
    """A DOCX (the names Word needs) with a member that unpacks to `unpacked` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
        with archive.open("word/media/bomb.bin", "w", force_zip64=True) as member:
            zeros = b"\0" * MB
            for _ in range(unpacked // MB):
                member.write(zeros)
    return out.getvalue()
