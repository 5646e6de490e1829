"""Publishing a run's marts and dashboards to $RA_EXPORT_DIR (the library behind defs/exports.py).

- `export_files`: each file of a set: every mart as Parquet and CSV (keyed order, CSV cells
  safe from spreadsheet formulas), manifest.json, relationship_marts.duckdb for BI, the
  dashboards folder. A new export format starts here.
- `export_set`: a set written aside and published at once through the `current` symlink.
"""
