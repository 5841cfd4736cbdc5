"""A real Prefect server on loopback: deploy `nightly` from prefect.yaml, run it, see it complete."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_prefect_yaml_declares_the_nightly_schedule():
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    nightly = next(d for d in spec["deployments"] if d["name"] == "nightly")
    assert nightly["entrypoint"] == "vnreport/flows/nightly.py:nightly"
    (schedule,) = nightly["schedules"]
    assert schedule["cron"] == "0 2 * * *"
    assert schedule["timezone"] == "Asia/Ho_Chi_Minh"


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    with open(tmp_path / "server.log", "w") as log:
        yield from _serve(port, api, env, log, tmp_path)


def _serve(port, api, env, log, tmp_path):
    server = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def healthy():
        try:
            return httpx.get(f"{api}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return server.poll() is not None and pytest.fail(
                "prefect server exited:\n" + (tmp_path / "server.log").read_text()[-3000:]
            )

    try:
        wait_until(healthy, 120, "the Prefect server to answer /api/health")
        yield api, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def prefect(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert res.returncode == 0, (
        f"prefect {' '.join(args)} failed:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    )
    return res


def test_deploy_trigger_and_complete_a_nightly_run(prefect_server, tmp_path):
    api, env = prefect_server
    prefect("work-pool", "create", "vnreport", "--type", "process", env=env)
    prefect("--no-prompt", "deploy", "--name", "nightly", env=env)

    dep = httpx.get(f"{api}/deployments/name/nightly/nightly", timeout=10).json()
    (sched,) = dep["schedules"]
    assert sched["schedule"]["cron"] == "0 2 * * *"
    assert sched["schedule"]["timezone"] == "Asia/Ho_Chi_Minh"

    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    run = httpx.post(
        f"{api}/deployments/{dep['id']}/create_flow_run",
        json={"parameters": {"warehouse": str(warehouse)}},
        timeout=10,
    ).json()

    worker = subprocess.run(
        [PREFECT, "worker", "start", "--pool", "vnreport", "--run-once"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    def final_state():
        state = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()["state"]
        return state if state["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None

    state = wait_until(final_state, 300, "the triggered flow run to finish")
    assert state["type"] == "COMPLETED", (
        f"{state}\nworker output:\n{worker.stdout[-3000:]}\n{worker.stderr[-3000:]}"
    )

    with duckdb.connect(str(warehouse), read_only=True) as con:
        (facts,) = con.execute("select count(*) from facts").fetchone()
        (runs,) = con.execute("select count(*) from runs where status = 'completed'").fetchone()
    assert facts > 0 and runs == 1

    artifacts = httpx.post(
        f"{api}/artifacts/filter",
        json={"artifacts": {"key": {"any_": ["nightly-run-summary"]}}},
        timeout=10,
    ).json()
    assert artifacts and artifacts[0]["type"] == "markdown"
