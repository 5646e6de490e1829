"""Consumers (notebooks, dashboards) read marts only: a grep of the code they run.

The marts are the public interface (STYLE.md, issue 16): a notebook or dashboard that
reads staging, intermediate, raw or seed tables breaks when those change and bypasses the
marts' contracts and tests. This test reads the notebooks' code cells and every module of
orchestration/dashboards/ and fails on any such table reference, naming file and line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted(path.stem for path in (REPO_ROOT / "seeds").glob("*.csv"))
# Schema-qualified non-mart tables (seeds are built into `reference`), and a seed read
# unqualified after from/join.
NON_MART_TABLE = re.compile(
    r"\b(?:staging|intermediate|raw|reference)\.\w+"
    rf"|\b(?:from|join)\s+(?:{'|'.join(SEEDS)})\b",
    re.IGNORECASE,
)


def consumer_sources() -> dict[str, str]:
    """{'<file>[cell n]': code} for every notebook code cell and dashboards module."""
    sources: dict[str, str] = {}
    for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        for number, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                sources[f"notebooks/{path.name}[cell {number}]"] = cell.source
    for path in sorted((REPO_ROOT / "orchestration" / "dashboards").glob("*.py")):
        sources[f"orchestration/dashboards/{path.name}"] = path.read_text()
    return sources


def non_mart_references(sources: dict[str, str]) -> list[str]:
    """'<where> line <n>: <reference>' for each non-mart table a consumer names."""
    found = []
    for where, code in sources.items():
        for number, line in enumerate(code.splitlines(), start=1):
            found.extend(
                f"{where} line {number}: {match.group(0)}"
                for match in NON_MART_TABLE.finditer(line)
            )
    return found


def test_the_check_finds_each_kind_of_non_mart_reference():
    sources = {
        "example.py": "select * from staging.stg_dataverse__emails\n"
        "left join intermediate.int_records_unioned as records on true\n"
        "select * from raw.email\n"
        "select * from reference.health_state_bands\n"
        "select * from option_set_labels\n"
        "select * from marts.mart_records join marts.mart_health_state_bands on true\n"
    }
    assert non_mart_references(sources) == [
        "example.py line 1: staging.stg_dataverse__emails",
        "example.py line 2: intermediate.int_records_unioned",
        "example.py line 3: raw.email",
        "example.py line 4: reference.health_state_bands",
        "example.py line 5: from option_set_labels",
    ]


def test_notebooks_and_dashboards_read_marts_only():
    sources = consumer_sources()
    assert len([where for where in sources if where.startswith("notebooks/")]) >= 4
    # The modules that hold the dashboards' SQL.
    assert {
        f"orchestration/dashboards/{name}.py" for name in ("data", "selection", "widget_data")
    } <= set(sources)
    assert non_mart_references(sources) == [], (
        "consumers must read marts only (marts.mart_*): move what they need into a mart"
    )


# --- dbt exposures name exactly the marts each consumer reads ---------------------------

MART_REFERENCE = re.compile(r"\bmarts\.(mart_\w+)\b", re.IGNORECASE)


def marts_read(sources: dict[str, str], consumer_path: str) -> set[str]:
    """Marts named `marts.<mart>` in the code of one consumer: a notebook's code cells, or
    every module of a folder (keys of `sources` start with the path)."""
    return {
        match.group(1).lower()
        for where, code in sources.items()
        if where == consumer_path
        or where.startswith(f"{consumer_path}/")
        or where.startswith(f"{consumer_path}[")
        for match in MART_REFERENCE.finditer(code)
    }


def test_marts_read_finds_each_mart_of_one_consumer_only():
    sources = {
        "notebooks/a.ipynb[cell 1]": "select * from marts.mart_records join marts.MART_USERS",
        "notebooks/a.ipynb[cell 2]": "from marts.mart_records as records",
        "notebooks/ab.ipynb[cell 1]": "select * from marts.mart_top_contacts",
        "orchestration/dashboards/data.py": "from marts.mart_relationship_kpis as kpis",
    }
    assert marts_read(sources, "notebooks/a.ipynb") == {"mart_records", "mart_users"}
    assert marts_read(sources, "orchestration/dashboards") == {"mart_relationship_kpis"}


def test_dbt_exposures_ref_exactly_the_marts_each_consumer_reads():
    """models/marts/_marts__exposures.yml against the SQL the consumers run: a mart read but
    not declared (or declared but no longer read) fails, naming the exposure."""
    manifest = json.loads((REPO_ROOT / "dbt_project" / "target" / "manifest.json").read_text())
    nodes = manifest["nodes"]
    marts = {
        node["name"]
        for node in nodes.values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    }
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    refs = {
        name: {nodes[unique_id]["name"] for unique_id in exposure["depends_on"]["nodes"]}
        for name, exposure in exposures.items()
    }
    sources = consumer_sources()
    notebooks = {where.split("[")[0] for where in sources if where.startswith("notebooks/")}
    read_by = {
        name: marts_read(sources, exposure["config"]["meta"]["consumer_path"])
        for name, exposure in exposures.items()
        if "consumer_path" in exposure["config"].get("meta", {})
    }
    # Every notebook and the dashboards are declared; the BI file holds every mart.
    assert {exposure["config"]["meta"].get("consumer_path") for exposure in exposures.values()} >= {
        *notebooks,
        "orchestration/dashboards",
    }
    assert refs.pop("bi_file") == marts
    assert refs == read_by
    assert read_by["customer_response_times_notebook"] == {"mart_records", "mart_relationship_kpis"}
    assert all(exposure["owner"]["email"] for exposure in exposures.values())
