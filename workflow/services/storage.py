"""Where the bytes of documents, statements and letters live: one small interface, two stores.

- `folder` (the default, `make run`): one file per key in DOCUMENT_STORAGE (instance/documents);
- `database` (several app nodes): the bytes in PostgreSQL (or SQLite), in chunk rows of 256 KiB.

One setting, DOCUMENT_STORE, chooses. Nothing else touches the files: documents, statements,
letters, backup/restore, erasure and /readyz call `put`, `open`, `read_bytes`, `delete`. Both
stores write and read one chunk at a time (a 10 MB file is never held twice in memory), and every
read checks the SHA-256 the caller's row recorded: a reader holds back the last chunk until the
whole file matched, so changed bytes are never served as if they were the file.

Writes belong to the caller's transaction: the database store writes in the session, the folder
store removes a new file again when the transaction rolls back and removes a deleted one only
once it committed.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import sqlalchemy.orm
from flask import current_app, has_app_context

from workflow.extensions import db
from workflow.models.storage import StoredChunk, StoredFile
from workflow.services.errors import DomainError, NotFound, RuleViolation

CHUNK = 256 * 1024
STORES = ("folder", "database")


class StoredFileChanged(DomainError):
    """The stored bytes no longer match their recorded hash (or size): they are not served."""

    status = 409


class StoredFileMissing(NotFound):
    """The row names a file the store does not hold."""


@dataclass(frozen=True)
class Stored:
    key: str
    sha256: str
    size: int


def new_key() -> str:
    return secrets.token_hex(16)


def _chunks_of(stream) -> Iterator[bytes]:
    if isinstance(stream, bytes | bytearray | memoryview):
        stream = io.BytesIO(stream)
    while chunk := stream.read(CHUNK):
        yield chunk


# -- the folder store -------------------------------------------------------------------------------

# Files written, and files to delete, in a transaction that has not ended yet (session.info).
_NEW_FILES = "antragsweg_new_files"
_DOOMED_FILES = "antragsweg_doomed_files"


class FolderStore:
    name = "folder"

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            raise StoredFileMissing("Die Datei ist nicht mehr vorhanden.")
        return self.root / key

    def put(self, stream, key: str | None = None) -> Stored:
        key = key or new_key()
        path = self._path(key)
        partial = self.root / f".{key}.partial"  # never seen under its key half written
        digest, size = hashlib.sha256(), 0
        try:
            with partial.open("wb") as handle:
                for chunk in _chunks_of(stream):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        if has_app_context():
            db.session.connection()  # in a transaction, so that its rollback removes the file
            info = db.session.info
            info.setdefault(_NEW_FILES, []).append(path)
            if path in info.get(_DOOMED_FILES, []):  # written again after a delete: it stays
                info[_DOOMED_FILES].remove(path)
        return Stored(key, digest.hexdigest(), size)

    def chunks(self, key: str) -> Iterator[bytes]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise StoredFileMissing("Die Datei ist nicht mehr vorhanden.") from None
        return self._read(handle)

    @staticmethod
    def _read(handle) -> Iterator[bytes]:
        with handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).is_file()
        except StoredFileMissing:
            return False

    def delete(self, key: str) -> None:
        """Removed once the current transaction commits (at once outside of an app context), as
        the database store's rows are."""
        path = self._path(key)
        if has_app_context():
            db.session.connection()
            db.session.info.setdefault(_DOOMED_FILES, []).append(path)
        else:
            path.unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        for path in sorted(self.root.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                yield path.name

    def writable(self) -> bool:
        try:
            probe = self.root / f".bereit-{secrets.token_hex(8)}"
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError:
            return False
        return True


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _end_of_transaction(session):
    session.info.pop(_NEW_FILES, None)
    for path in session.info.pop(_DOOMED_FILES, []):
        path.unlink(missing_ok=True)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _rolled_back(session, previous_transaction):
    if previous_transaction.parent is None:  # the outermost transaction
        for path in session.info.pop(_NEW_FILES, []):
            path.unlink(missing_ok=True)
        session.info.pop(_DOOMED_FILES, None)


# -- the database store -----------------------------------------------------------------------------


class DatabaseStore:
    """Writes in the caller's session (so a rollback takes the file with it); reads one chunk per
    query, on the session inside a request and on the engine once the response is streamed after
    its request ended (gunicorn reads the body after the view returned)."""

    name = "database"

    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def put(self, stream, key: str | None = None) -> Stored:
        key = key or new_key()
        session = db.session
        session.execute(sa.insert(StoredFile).values(key=key, size=0, sha256=""))
        digest, size = hashlib.sha256(), 0
        for seq, chunk in enumerate(_chunks_of(stream)):
            digest.update(chunk)
            size += len(chunk)
            session.execute(sa.insert(StoredChunk).values(key=key, seq=seq, data=chunk))
        sha256 = digest.hexdigest()
        session.execute(sa.update(StoredFile).where(StoredFile.key == key).values(size=size, sha256=sha256))
        return Stored(key, sha256, size)

    def _scalar(self, statement):
        if has_app_context():
            return db.session.scalar(statement)
        with self.engine.connect() as connection:
            return connection.scalar(statement)

    def chunks(self, key: str) -> Iterator[bytes]:
        if not self.exists(key):
            raise StoredFileMissing("Die Datei ist nicht mehr vorhanden.")
        return self._read(key)

    def _read(self, key: str) -> Iterator[bytes]:
        seq = 0
        while (
            chunk := self._scalar(
                sa.select(StoredChunk.data).where(StoredChunk.key == key, StoredChunk.seq == seq)
            )
        ) is not None:
            yield bytes(chunk)
            seq += 1

    def exists(self, key: str) -> bool:
        return self._scalar(sa.select(StoredFile.key).where(StoredFile.key == key)) is not None

    def delete(self, key: str) -> None:
        db.session.execute(sa.delete(StoredChunk).where(StoredChunk.key == key))
        db.session.execute(sa.delete(StoredFile).where(StoredFile.key == key))

    def keys(self) -> Iterator[str]:
        yield from db.session.scalars(sa.select(StoredFile.key).order_by(StoredFile.key)).all()

    def writable(self) -> bool:
        try:
            with self.engine.connect() as connection, connection.begin() as transaction:
                connection.execute(
                    sa.insert(StoredFile).values(key=f".bereit-{new_key()}", size=0, sha256="")
                )
                transaction.rollback()
        except sa.exc.SQLAlchemyError:
            return False
        return True


# -- choosing one, and reading with the hash checked ----------------------------------------------


def store(name: str | None = None) -> FolderStore | DatabaseStore:
    """The configured store (DOCUMENT_STORE), or the one named."""
    name = name or current_app.config.get("DOCUMENT_STORE") or "folder"
    if name == "folder":
        configured = current_app.config.get("DOCUMENT_STORAGE")
        return FolderStore(Path(configured) if configured else Path(current_app.instance_path) / "documents")
    if name == "database":
        return DatabaseStore(db.engine)
    raise RuleViolation(f"Unbekannter Dokumentenspeicher {name!r}: erlaubt sind {', '.join(STORES)}.")


CHANGED = (
    "Die gespeicherte Datei stimmt nicht mehr mit ihrem Prüfwert überein und wird deshalb nicht "
    "ausgeliefert. Bitte wenden Sie sich an die Netzwerkkoordination."
)


class VerifiedReader(io.RawIOBase):
    """A file-like reader over a store's chunks that checks size and SHA-256 as it goes and holds
    the last chunk back until the whole file matched: a changed file raises StoredFileChanged
    before its end is handed out, so a download of it breaks off instead of completing."""

    def __init__(
        self, chunks: Iterator[bytes], sha256: str, size: int, label: str = "", message: str = CHANGED
    ):
        super().__init__()
        self._chunks, self._sha256, self._size = chunks, sha256, size
        self._label, self._message = label, message
        self._digest, self._seen = hashlib.sha256(), 0
        self._buffer = memoryview(b"")
        self._ahead = self._pull()
        self._done = False

    def readable(self) -> bool:
        return True

    def _pull(self) -> bytes | None:
        chunk = next(self._chunks, None)
        if chunk is not None:
            self._digest.update(chunk)
            self._seen += len(chunk)
            if self._seen > self._size:
                self._fail()
        return chunk

    def _fail(self):
        if has_app_context():
            current_app.logger.error("stored file %s does not match its hash", self._label)
        raise StoredFileChanged(self._message)

    def readinto(self, buffer) -> int:
        if not self._buffer:
            if self._ahead is None:
                if not self._done:
                    self._done = True
                    if self._seen != self._size or self._digest.hexdigest() != self._sha256:
                        self._fail()
                return 0
            current, self._ahead = self._ahead, self._pull()
            if self._ahead is None and (self._seen != self._size or self._digest.hexdigest() != self._sha256):
                self._fail()  # the last chunk is never handed out unchecked
            self._done = self._ahead is None
            self._buffer = memoryview(current)
        n = min(len(buffer), len(self._buffer))
        buffer[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def open(key: str, sha256: str, size: int, *, label: str = "", message: str = CHANGED, using=None):  # noqa: A001
    """A buffered reader of the stored file, checked against `sha256` and `size` as it is read."""
    raw = VerifiedReader((using or store()).chunks(key), sha256, size, label or key, message)
    return io.BufferedReader(raw, CHUNK)


def verify(key: str, sha256: str, size: int, *, label: str = "", message: str = CHANGED, using=None) -> None:
    """Read the file once through (one chunk at a time): raises unless it matches."""
    with open(key, sha256, size, label=label, message=message, using=using) as reader:
        while reader.read(CHUNK):
            pass


def read_bytes(key: str, sha256: str, size: int, *, label: str = "", message: str = CHANGED) -> bytes:
    """The whole file, checked (for what is used whole anyway: a statement PDF to sign or verify)."""
    with open(key, sha256, size, label=label, message=message) as reader:
        return reader.read()


def put(stream) -> Stored:
    """Store a file (bytes or a readable stream) under a new key, in the current transaction."""
    return store().put(stream)


def delete(key: str) -> None:
    store().delete(key)
