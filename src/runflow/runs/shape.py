"""A run as the API shows it, from its row."""

from __future__ import annotations

import uuid

from runflow.runs.models import Run
from runflow.runs.schemas import RunRead


def links_for(run: Run) -> dict[str, str]:
    return run_links(run.id, run.batch_id, run.rerun_of)


def run_links(
    run_id: uuid.UUID, batch_id: uuid.UUID | None, rerun_of: uuid.UUID | None = None
) -> dict[str, str]:
    base = f"/v1/runs/{run_id}"
    links = {"self": base, "logs": f"{base}/logs", "node_runs": f"{base}/node-runs"}
    if batch_id is not None:
        links["batch"] = f"/v1/batches/{batch_id}"
    if rerun_of is not None:
        links["rerun_of"] = f"/v1/runs/{rerun_of}"
    return links


def run_read(run: Run, *, has_logs: bool = False, has_node_runs: bool = False) -> RunRead:
    read = RunRead.model_validate(run)
    return read.model_copy(
        update={"has_logs": has_logs, "has_node_runs": has_node_runs, "links": links_for(run)}
    )
