"""The dbt resource: no `dbt --version` probe, no in-process adapter, variables for the dbt
subprocess alone; and the as-of instant through RA_DBT_AS_OF without a re-parse."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
from functools import cached_property
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource
from dagster_dbt.core import resource as dagster_dbt_resource
from packaging import version

from orchestration.dbt_cli import ProjectDbtCliResource, environment_for_call
from orchestration.definitions import defs
from orchestration.defs.dbt import AS_OF_VARIABLE, DBT_PROJECT_DIR, dbt_executable

IN_MEMORY = json.dumps({"warehouse_path": ":memory:"})


def test_environment_for_call_sets_variables_for_the_block_and_restores_them(monkeypatch):
    monkeypatch.setenv("RA_TEST_KEPT", "before")
    monkeypatch.delenv("RA_TEST_NEW", raising=False)
    with environment_for_call({"RA_TEST_KEPT": "during", "RA_TEST_NEW": "set"}):
        assert (os.environ["RA_TEST_KEPT"], os.environ["RA_TEST_NEW"]) == ("during", "set")
    assert os.environ["RA_TEST_KEPT"] == "before"
    assert "RA_TEST_NEW" not in os.environ
    with pytest.raises(RuntimeError), environment_for_call({"RA_TEST_NEW": "set"}):
        raise RuntimeError("a failing dbt start restores the environment too")
    assert "RA_TEST_NEW" not in os.environ


def test_the_code_location_runs_dbt_through_the_project_resource():
    assert isinstance(defs.resources["dbt"], ProjectDbtCliResource)


def test_the_overridden_dagster_dbt_members_still_exist():
    # An upgrade that renames them would silently bring the probes back.
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_the_venvs_dbt_version_comes_from_the_installed_package(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"dbt was asked its version: {args}")

    monkeypatch.setattr(dagster_dbt_resource, "check_output", no_subprocess)
    resource = ProjectDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
    expected = version.parse(importlib.metadata.version("dbt-core"))
    assert resource._cli_version == expected
    assert expected.major == 1


def test_another_dbt_executable_is_still_asked_its_version(tmp_path: Path, monkeypatch):
    other_dbt = tmp_path / "dbt"
    other_dbt.write_text("#!/bin/sh\n")
    other_dbt.chmod(0o755)
    asked = []

    def fake_check_output(command):
        asked.append(command)
        return b"Core:\n  - installed: 1.10.7\n"

    monkeypatch.setattr(dagster_dbt_resource, "check_output", fake_check_output)
    resource = ProjectDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(other_dbt)
    )
    assert resource._cli_version == version.parse("1.10.7")
    assert asked == [[str(other_dbt), "--version"]]


def test_the_dbt_subprocess_alone_gets_the_as_of(tmp_path: Path, monkeypatch):
    monkeypatch.delenv(AS_OF_VARIABLE, raising=False)
    resource = ProjectDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR), dbt_executable=dbt_executable()
    )
    invocation = resource.cli(
        ["compile", "--inline", "select {{ as_of_date() }} as d", "--vars", IN_MEMORY],
        env={AS_OF_VARIABLE: "2026-05-01 12:00:00"},
        target_path=tmp_path / "target",
    )
    assert AS_OF_VARIABLE not in os.environ  # set only while dagster-dbt started dbt
    compiled = [
        event.raw_event["data"]["compiled"]
        for event in invocation.stream_raw_events()
        if event.raw_event["info"]["name"] == "CompiledNode"
    ]
    assert compiled == ["select cast(cast('2026-05-01 12:00:00' as timestamp) as date) as d"]
    assert invocation.adapter is None


def dbt_parse_events(target: Path, as_of: str) -> list[str]:
    """Names of the events of a `dbt parse` into `target` with RA_DBT_AS_OF=as_of."""
    completed = subprocess.run(
        [dbt_executable(), "--log-format", "json", "--log-level", "debug", "parse"]
        + ["--profiles-dir", ".", "--target-path", str(target), "--log-path", str(target)]
        + ["--vars", IN_MEMORY],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, AS_OF_VARIABLE: as_of, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        json.loads(line)["info"]["name"]
        for line in completed.stdout.splitlines()
        if line.startswith("{")
    ]


def test_a_new_as_of_re_parses_nothing(tmp_path: Path):
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(DBT_PROJECT_DIR / "target" / "partial_parse.msgpack", target)
    dbt_parse_events(target, "2026-06-30 00:00:00")  # the parse state for these vars
    events = dbt_parse_events(target, "2026-07-01 05:00:00")
    assert "PartialParsingSkipParsing" in events  # "no changes found, skipping parsing"
    assert "PartialParsingEnabled" in events
