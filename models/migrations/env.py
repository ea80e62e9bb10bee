"""Alembic environment: migrates the database whose URL the caller put in the config."""
from alembic import context

import plantrack.models.calendar_store  # noqa: F401
import plantrack.models.digest.snapshot  # noqa: F401
import plantrack.models.entities  # noqa: F401  (registers the tables)
import plantrack.models.mail.inbound  # noqa: F401
import plantrack.models.escalation.table  # noqa: F401
import plantrack.models.mail.outbox  # noqa: F401
import plantrack.models.mail.send_lock  # noqa: F401
from plantrack.models.base import Base
from plantrack.models.db import make_engine

config = context.config
url = config.get_main_option("sqlalchemy.url")

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
