"""The analysts' notebooks run top to bottom against the exported BI file, read-only, and plot.

Executed notebooks (with their outputs) are kept in test-artifacts/notebooks/ to look at.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
ARTIFACTS = REPO_ROOT / "test-artifacts" / "notebooks"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_there_are_at_least_two_notebooks_saved_without_outputs():
    assert len(NOTEBOOKS) >= 2
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        # Outputs belong to a run, not to the repository (they would leak data into git).
        assert all(not cell.outputs and cell.execution_count is None for cell in code), path.name
        assert any("read_only=True" in cell.source for cell in code), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_against_the_bi_file_read_only_and_plots(
    path: Path, built_sample, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    # A writable copy of the published BI file (the export folder's symlink resolved) whose
    # bytes must not change: the notebook opens it read-only. RA_WAREHOUSE points at a file
    # that does not exist, so reading the pipeline's warehouse would fail.
    export_dir = tmp_path / "exports"
    export_dir.mkdir()
    bi_file = export_dir / "relationship_marts.duckdb"
    shutil.copyfile((built_sample.export_dir / "relationship_marts.duckdb").resolve(), bi_file)
    before = digest(bi_file)
    monkeypatch.setenv("RA_EXPORT_DIR", str(export_dir))
    monkeypatch.setenv("RA_WAREHOUSE", str(tmp_path / "no-warehouse.duckdb"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, ARTIFACTS / path.name)

    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) >= 2, "each notebook draws at least two figures"
    printed = "".join(
        output.get("text", "") for output in outputs if output.output_type == "stream"
    )
    assert f"BI file: {bi_file}" in printed
    assert digest(bi_file) == before
    assert not bi_file.with_name(bi_file.name + ".wal").exists()
    assert not (tmp_path / "no-warehouse.duckdb").exists()
