"""move domain: `flask db move --to postgresql+psycopg://…`, the SQLite registry copied into PostgreSQL in resumable,
verified batches (`services`), while every process sharing the SQLite file answers writes with 503 (`marker`).
See docs/operations.md, "Moving from SQLite to PostgreSQL"."""
from . import models  # noqa: F401  (the tables)
