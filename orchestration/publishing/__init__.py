"""Publishing a run's marts and dashboards to $RA_EXPORT_DIR (the library behind defs/exports.py).

- `export_files`: each file of a set: every mart as Parquet and CSV (keyed order, CSV cells
  safe from spreadsheet formulas; no CSV past RA_EXPORT_CSV_MAX_ROWS rows), manifest.json,
  the dashboards folder. A new export format starts here.
- `bi_file`: relationship_marts.duckdb for BI, copied inside DuckDB (attach, create table
  as select), with the marts' descriptions as comments.
- `data_dictionary`: mart and column descriptions read from dbt's manifest.
- `docs_site`: the one-file dbt docs site of `make docs`, refused if it would reach the web.
- `export_set`: a set written aside and published at once through the `current` symlink.
"""
