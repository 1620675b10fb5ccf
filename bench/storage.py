"""The document store with a 10 MB file: time to store it and to read it back (checked against its
SHA-256, as every download is), and the peak of Python memory while doing so, for each store.

    .venv/bin/python bench/storage.py [--database URL] [--megabytes 10]

Without --database: a SQLite file in a temporary folder. The database must be migrated
(`flask --app wsgi init-db`); the file is removed again afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from workflow import create_app  # noqa: E402
from workflow.extensions import db  # noqa: E402
from workflow.services import storage  # noqa: E402


class Source:
    """A 10 MB upload read in chunks (as a request's stream), never whole in memory."""

    def __init__(self, size: int):
        self.left = size
        self.block = os.urandom(64 * 1024)

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        return (self.block * (n // len(self.block) + 1))[:n]


def measure(name: str, size: int) -> tuple[float, float, float, float]:
    target = storage.store(name)
    tracemalloc.start()
    began = time.perf_counter()
    put = target.put(Source(size))
    db.session.commit()
    wrote = time.perf_counter() - began
    write_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    began = time.perf_counter()
    with storage.open(put.key, put.sha256, put.size, using=target) as reader:
        while reader.read(64 * 1024):
            pass
    read = time.perf_counter() - began
    read_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    target.delete(put.key)
    db.session.commit()
    return wrote, read, write_peak / 2**20, read_peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database")
    parser.add_argument("--megabytes", type=int, default=10)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="antragsweg-store-")
    url = args.database or f"sqlite:///{scratch}/bench.sqlite3"
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "INSTANCE_PATH": scratch})
    size = args.megabytes * 2**20
    with app.app_context():
        if not args.database:
            upgrade()
        print(f"{args.megabytes} MB, {url.split(':')[0]}, chunks of {storage.CHUNK // 1024} KiB:")
        for name in storage.STORES:
            wrote, read, write_peak, read_peak = measure(name, size)
            print(
                f"  {name:8}  store {wrote * 1000:6.0f} ms ({args.megabytes / wrote:5.0f} MB/s), "
                f"read+check {read * 1000:6.0f} ms ({args.megabytes / read:5.0f} MB/s); "
                f"peak Python memory {write_peak:.1f} MB writing, {read_peak:.1f} MB reading"
            )
        db.engine.dispose()


if __name__ == "__main__":
    main()
