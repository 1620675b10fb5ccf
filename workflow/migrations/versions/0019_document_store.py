"""document store in the database: stored files and their chunks

Revision ID: 0019
Revises: 0016

With DOCUMENT_STORE = "database" every node reads the documents, statements and letters from
PostgreSQL instead of one node's instance/documents folder (services/storage.py): one row per file
(its size and SHA-256) and its bytes in chunks of 256 KiB, written and read one chunk at a time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stored_files",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_stored_files")),
    )
    op.create_table(
        "stored_file_chunks",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"], ["stored_files.key"], name=op.f("fk_stored_file_chunks_key_stored_files"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key", "seq", name=op.f("pk_stored_file_chunks")),
    )


def downgrade():
    op.drop_table("stored_file_chunks")
    op.drop_table("stored_files")
