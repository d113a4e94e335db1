"""`embed=run`: whole runs for a page of rows, in a fixed number of queries whatever its size.

One query for the runs, one for their node runs, one for their logs, and one (plus the catalog's
eager loads) for their distinct models, each model rendered once however many runs share it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from runflow.catalog import repository as catalog
from runflow.catalog.schemas import ModelRead
from runflow.engine.models import NodeRun, RunLog
from runflow.runs.models import Run
from runflow.runs.schemas import NodeRunRead, RunDetail, RunLogRead
from runflow.runs.shape import links_for


async def run_details(
    session: AsyncSession, run_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, RunDetail]:
    if not run_ids:
        return {}
    ids = list(run_ids)
    runs = (await session.scalars(select(Run).where(Run.id.in_(ids)))).all()
    node_runs: defaultdict[uuid.UUID, list[NodeRunRead]] = defaultdict(list)
    node_rows = await session.scalars(
        select(NodeRun).where(NodeRun.run_id.in_(ids)).order_by(NodeRun.created_at, NodeRun.id)
    )
    for node_run in node_rows:
        node_runs[node_run.run_id].append(NodeRunRead.model_validate(node_run))
    logs: defaultdict[uuid.UUID, list[RunLogRead]] = defaultdict(list)
    log_rows = await session.scalars(
        select(RunLog).where(RunLog.run_id.in_(ids)).order_by(RunLog.timestamp, RunLog.id)
    )
    for log in log_rows:
        logs[log.run_id].append(RunLogRead.model_validate(log))
    models = {
        model.id: ModelRead.model_validate(model)
        for model in await catalog.models_by_id(session, {run.model_id for run in runs})
    }
    return {
        run.id: RunDetail.model_validate(run).model_copy(
            update={
                "node_runs": node_runs[run.id],
                "logs": logs[run.id],
                "model": models.get(run.model_id),
                "has_node_runs": bool(node_runs[run.id]),
                "has_logs": bool(logs[run.id]),
                "links": links_for(run),
            }
        )
        for run in runs
    }
