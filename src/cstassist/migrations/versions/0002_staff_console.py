"""The staff console's tables: audit log, console sessions, managed papers, background jobs, answer outcomes.

Revision ID: 0002_staff
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_staff"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text, nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("audit_log_at", "audit_log", ["at"])
    op.create_table(
        "staff_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
    )
    op.create_table(
        "staff_documents",
        sa.Column("document_id", sa.String(512), primary_key=True),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("stored", sa.Text, nullable=False, server_default=""),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("dropped", sa.Text),
        sa.Column("retired", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "staff_jobs",
        sa.Column("job_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("stage", sa.Text, nullable=False, server_default=""),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.Text, nullable=False, server_default="{}"),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "answer_outcomes",
        sa.Column("answer_id", sa.String(64), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("confidence", sa.Float),
    )
    op.create_index("answer_outcomes_at", "answer_outcomes", ["at"])


def downgrade() -> None:
    op.drop_index("answer_outcomes_at", "answer_outcomes")
    for name in ("answer_outcomes", "staff_jobs", "staff_documents", "staff_sessions"):
        op.drop_table(name)
    op.drop_index("audit_log_at", "audit_log")
    op.drop_table("audit_log")
