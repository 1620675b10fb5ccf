"""Moving the stored files from one document store to the other (`flask move-documents --to …`).

Every file a row names (documents, statements, letters) is copied chunk by chunk, checked against
its row's SHA-256 while it is read from the source and read back from the target after it was
written; each file is committed on its own, so a run that stops half way keeps what it copied and
the next run copies only the rest. A file that does not match its hash is reported, never copied.
The source is left as it was: switch DOCUMENT_STORE once the run reports no problem."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from workflow.extensions import db
from workflow.services import storage
from workflow.services.errors import RuleViolation


@dataclass
class Moved:
    source: str
    target: str
    copied: int = 0
    present: int = 0  # already in the target, and matching
    changed: list[str] = field(default_factory=list)  # in the source, but not matching its hash
    missing: list[str] = field(default_factory=list)  # in neither store

    @property
    def ok(self) -> bool:
        return not self.changed and not self.missing


def named_files() -> list[tuple[str, str, int, str]]:
    """(key, sha256, size, what) for every file a row names."""
    found = []
    for table in db.metadata.sorted_tables:
        if "storage_key" in table.c and table.name not in ("stored_files", "stored_file_chunks"):
            c = table.c
            rows = db.session.execute(sa.select(c.storage_key, c.sha256, c.size, c.id).order_by(c.id))
            found += [(key, sha256, size, f"{table.name} {row_id}") for key, sha256, size, row_id in rows]
    return found


def _matches(store, key: str, sha256: str, size: int) -> bool:
    try:
        storage.verify(key, sha256, size, using=store)
    except (storage.StoredFileChanged, storage.StoredFileMissing):
        return False
    return True


def move(to: str) -> Moved:
    if to not in storage.STORES:
        raise RuleViolation(
            f"Unbekannter Dokumentenspeicher {to!r}: erlaubt sind {', '.join(storage.STORES)}."
        )
    (source_name,) = [name for name in storage.STORES if name != to]
    source, target = storage.store(source_name), storage.store(to)
    result = Moved(source_name, to)
    for key, sha256, size, what in named_files():
        if target.exists(key):
            if _matches(target, key, sha256, size):
                result.present += 1
                continue
            target.delete(key)  # a damaged copy in the target: copied again from the source
            db.session.commit()
        if not source.exists(key):
            result.missing.append(what)
            continue
        try:
            with storage.open(key, sha256, size, label=what, using=source) as reader:
                target.put(reader, key=key)
            db.session.flush()
            if not _matches(target, key, sha256, size):
                raise storage.StoredFileChanged(storage.CHANGED)
            db.session.commit()
        except storage.StoredFileChanged:
            db.session.rollback()  # nothing of it stays in the target
            result.changed.append(what)
            continue
        result.copied += 1
    return result
