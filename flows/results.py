"""What our flow runs keep of their results: nothing (`@flow(..., **NO_RESULTS)` on every flow here)."""
from __future__ import annotations

from pathlib import Path

from prefect.settings import get_current_settings

# Nothing reads a run's result back: the database and the outbox hold the state, and every task is NO_CACHE.
# Saying so, and naming the local storage Prefect would fall back to, spares each flow run three
# GET /api/admin/storage (Prefect asking the server for a default result storage): ~10 ms each here.
NO_RESULTS = {"persist_result": False, "result_storage": Path(get_current_settings().results.local_storage_path)}
