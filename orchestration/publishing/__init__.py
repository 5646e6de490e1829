"""Publishing a run's marts and dashboards to $RA_EXPORT_DIR (the library behind defs/exports.py).

- `export_files`: the marts' files of a set: each mart sorted once into the BI file, then
  Parquet and CSV from there (keyed order, CSV cells safe from spreadsheet formulas; no
  CSV past RA_EXPORT_CSV_MAX_ROWS rows), manifest.json. A new export format starts here.
- `bi_file`: relationship_marts.duckdb for BI, attached read-write to the warehouse's
  read-only connection and filled inside DuckDB, with the marts' descriptions as comments.
- `dashboard_files`: the dashboards folder of a set, swapped in whole.
- `data_dictionary`: mart and column descriptions read from dbt's manifest.
- `docs_site`: the one-file dbt docs site of `make docs`, refused if it would reach the web.
- `export_set`: a set written aside and published at once through the `current` symlink.
"""
