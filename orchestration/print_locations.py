"""Prints where `make run` left the warehouse, the exports and the dashboards.

`python -m orchestration.print_locations`, the last step of `make run`.
"""

from orchestration.settings import Settings

if __name__ == "__main__":
    settings = Settings.from_env()
    print(f"Landing files: {settings.landing_dir}")
    print(f"Warehouse:     {settings.warehouse}")
    print(f"Exports:       {settings.export_dir / 'marts'} (Parquet, CSV, manifest.json)")
    print(f"BI database:   {settings.export_dir / 'relationship_marts.duckdb'}")
    print(f"Dashboards:    {settings.export_dir / 'dashboards' / 'index.html'}")
