"""What tests do to the document store behind the app's back, for either store (services/storage.py):
read the raw bytes, change them, remove a file, list the keys."""

from __future__ import annotations

import io

import sqlalchemy as sa

from workflow.extensions import db
from workflow.models import StoredChunk
from workflow.services import storage


def keys() -> set[str]:
    return set(storage.store().keys())


def raw(key: str) -> bytes:
    """The bytes as stored, unchecked."""
    return b"".join(storage.store().chunks(key))


def overwrite(key: str, data: bytes) -> None:
    """Replace what the store holds under `key` (a changed file, as a fault or an attack makes it)."""
    target = storage.store()
    if target.name == "database":
        target.delete(key)
    target.put(io.BytesIO(data), key=key)
    db.session.commit()


def tamper(key: str) -> None:
    """Flip one byte in the middle of the stored file, same size."""
    data = bytearray(raw(key))
    data[len(data) // 2] ^= 0xFF
    target = storage.store()
    if target.name == "database":  # one chunk row changed in place, as a disk fault would
        seq, offset = divmod(len(data) // 2, storage.CHUNK)
        chunk = bytearray(db.session.scalar(sa.select(StoredChunk.data).filter_by(key=key, seq=seq)))
        chunk[offset] ^= 0xFF
        db.session.execute(sa.update(StoredChunk).filter_by(key=key, seq=seq).values(data=bytes(chunk)))
        db.session.commit()
    else:
        overwrite(key, bytes(data))


def remove(key: str) -> None:
    storage.store().delete(key)
    db.session.commit()
