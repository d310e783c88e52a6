"""``clawbot_assets/instance/dagster_internals.py``: the one module using Dagster's non-public
API. Pinned to the Dagster release it was written for; each wrapper is exercised against a real
instance (or a real code server), so an upgrade that changes one fails the test named after it.
"""

from __future__ import annotations

import ast
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from clawbot_assets.instance import dagster_internals as internals
from tests.deploy.production_home import closed_port

REPO = Path(__file__).resolve().parents[2]
INTERNALS = REPO / "clawbot_assets" / "instance" / "dagster_internals.py"
CODE = [REPO / "clawbot_assets", REPO / "schedules", REPO / "sensors"]


def test_written_for_the_installed_dagster_release():
    assert dg.__version__ == internals.WRITTEN_FOR_DAGSTER, (
        f"Dagster is {dg.__version__}; dagster_internals.py was written for {internals.WRITTEN_FOR_DAGSTER}. "
        "Run this file's tests, fix what fails, then bump WRITTEN_FOR_DAGSTER."
    )


# --- Only dagster_internals reaches past the public API ----------------------------------------


def _code_files() -> list[Path]:
    return [path for root in CODE for path in root.rglob("*.py") if path != INTERNALS]


def _private_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dagster._"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names if alias.name.startswith("dagster._"))
    return found


def _instance_attributes(tree: ast.AST) -> set[str]:
    """Attributes read on anything called ``instance`` (``instance.x``, ``context.instance.x``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            owner_name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else None
            if owner_name == "instance":
                names.add(node.attr)
    return names


def _is_public_instance_member(name: str) -> bool:
    from dagster._annotations import is_public

    member = getattr(dg.DagsterInstance, name, None)
    if member is None:
        return True  # not the instance (e.g. ``context.instance`` on another object): nothing to judge
    return is_public(member.fget if isinstance(member, property) else member)


def test_no_other_module_imports_dagster_private_modules():
    offenders = {str(path.relative_to(REPO)): imports for path in _code_files() if (imports := _private_imports(ast.parse(path.read_text())))}
    assert offenders == {}


def test_no_other_module_calls_a_non_public_instance_method():
    offenders = {
        str(path.relative_to(REPO)): sorted(name for name in _instance_attributes(ast.parse(path.read_text())) if not _is_public_instance_member(name))
        for path in _code_files()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_scan_sees_what_the_internals_module_itself_uses():
    """The two scans above find something when there is something: run on dagster_internals.py."""
    tree = ast.parse(INTERNALS.read_text())
    assert "dagster._utils.schedules" in _private_imports(tree)
    assert {"all_instigator_state", "add_run_tags", "event_log_storage"} <= {
        name for name in _instance_attributes(tree) if not _is_public_instance_member(name)
    }


# --- Each wrapper, by name ---------------------------------------------------------------------


def test_cron_accepted():
    assert internals.cron_accepted("0 9 * * 1-5")
    assert not internals.cron_accepted("0 9 * * * *")
    assert not internals.cron_accepted("0 9 LW * *")


def test_next_cron_tick():
    after = dt.datetime(2026, 3, 27, 12, tzinfo=dt.timezone.utc).timestamp()
    assert internals.next_cron_tick("0 9 * * *", after) == dt.datetime(2026, 3, 28, 9, tzinfo=dt.timezone.utc).timestamp()
    berlin = internals.next_cron_tick("0 9 * * *", after, "Europe/Berlin")
    assert berlin == dt.datetime(2026, 3, 28, 8, tzinfo=dt.timezone.utc).timestamp()
    with pytest.raises(Exception):
        internals.next_cron_tick("0 9 31 2 *", after)


def test_load_timezone():
    internals.load_timezone("Europe/Berlin")
    with pytest.raises(Exception):
        internals.load_timezone("Mars/Olympus_Mons")


def _schedule(name: str, running: bool) -> dg.ScheduleDefinition:
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED
    return dg.ScheduleDefinition(name=name, cron_schedule="0 9 * * *", job_name="playbook_run", default_status=status)


def test_stored_schedule_running_and_store_schedule_running(instance):
    on = _schedule("playbook__on", True)
    assert internals.stored_schedule_running(instance, "clawbot") == {}
    internals.store_schedule_running(instance, on, False, None, "clawbot")
    assert internals.stored_schedule_running(instance, "clawbot") == {"playbook__on": False}
    internals.store_schedule_running(instance, on, True, None, "clawbot")
    assert internals.stored_schedule_running(instance, "clawbot") == {"playbook__on": True}
    (stored,) = instance.all_instigator_state()
    assert stored.repository_selector.location_name == "clawbot"
    off = _schedule("playbook__off", False)
    internals.store_schedule_running(instance, off, True, internals.default_repository_origin("elsewhere"), "elsewhere")
    assert internals.stored_schedule_running(instance, "clawbot") == {"playbook__on": True, "playbook__off": True}


def test_default_repository_origin():
    origin = internals.default_repository_origin("clawbot")
    selector = origin.get_instigator_origin("playbook__on")
    assert (origin.code_location_origin.location_name, selector.instigator_name) == ("clawbot", "playbook__on")
    assert origin.code_location_origin.loadable_target_origin.module_name == "clawbot_assets.definitions"


def test_run_repository_origin_is_none_for_an_in_process_run(instance):
    @dg.op
    def nothing():
        return None

    @dg.job
    def one_op():
        nothing()

    result = one_op.execute_in_process(instance=instance)
    assert internals.run_repository_origin(instance.get_run_by_id(result.run_id)) is None


def test_add_run_tags(instance):
    @dg.op
    def tag_myself(context):
        internals.add_run_tags(context.instance, context.run_id, {"clawbot/skipped": "not Enabled"})

    @dg.job
    def tagging():
        tag_myself()

    result = tagging.execute_in_process(instance=instance)
    assert instance.get_run_by_id(result.run_id).tags["clawbot/skipped"] == "not Enabled"


def test_required_resources_of_run_reads_the_steps_it_executes(instance):
    @dg.op(required_resource_keys={"ssot"})
    def reads_airtable():
        return 1

    @dg.op(required_resource_keys={"crm"})
    def reads_hubspot(value):
        return value

    @dg.graph
    def nested(value):
        return reads_hubspot(value)

    @dg.job(resource_defs={"ssot": dg.ResourceDefinition.none_resource(), "crm": dg.ResourceDefinition.none_resource()})
    def both():
        nested(reads_airtable())

    whole = both.execute_in_process(instance=instance)
    assert internals.required_resources_of_run(instance, instance.get_run_by_id(whole.run_id)) == {"ssot", "crm"}
    only_first = both.execute_in_process(instance=instance, op_selection=["reads_airtable"])
    assert internals.required_resources_of_run(instance, instance.get_run_by_id(only_first.run_id)) == {"ssot"}


@dg.asset
def checked():
    return 1


@dg.asset_check(asset=checked)
def is_one(checked: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=checked == 1, severity=dg.AssetCheckSeverity.WARN, metadata={"seen": checked})


def test_latest_check_execution_and_completed_check_executions(instance):
    key = dg.AssetCheckKey(dg.AssetKey("checked"), "is_one")
    assert internals.latest_check_execution(instance, key) is None
    runs = [dg.materialize([checked, is_one], instance=instance).run_id for _ in range(2)]
    latest = internals.latest_check_execution(instance, key)
    assert (latest.run_id, latest.status, latest.evaluation.passed) == (runs[1], "SUCCEEDED", True)
    executions = internals.completed_check_executions(instance, key, limit=10)
    assert [execution.run_id for execution in executions] == runs
    assert executions[0].storage_id < executions[1].storage_id
    evaluation = executions[0].evaluation
    assert (evaluation.asset_key, evaluation.check_name, evaluation.severity) == (dg.AssetKey("checked"), "is_one", dg.AssetCheckSeverity.WARN)
    assert evaluation.metadata["seen"].value == 1
    assert len(internals.completed_check_executions(instance, key, limit=1)) == 1


def test_pool_limit():
    with dg.instance_for_test() as instance:
        assert internals.pool_limit(instance, "airtable") is None
        instance.event_log_storage.set_concurrency_slots("airtable", 2)
        assert internals.pool_limit(instance, "airtable") == 2
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        assert internals.pool_limit(instance, "airtable") == 1


def test_code_server_load_error(tmp_path):
    """A real code server whose code cannot load answers ``list_repositories`` with the error;
    nothing listening raises."""
    broken = tmp_path / "broken_location.py"
    broken.write_text("raise RuntimeError('the location cannot load')\n")
    port = closed_port()
    environment = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "dagster", "api", "grpc", "-p", str(port), "-f", str(broken), "--lazy-load-user-code"]
    server = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                error = internals.code_server_load_error(port)
                break
            except Exception:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert error is not None and "broken_location.py" in error
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(Exception):
        internals.code_server_load_error(closed_port())
