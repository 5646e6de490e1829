"""Prints where `make run` left the warehouse and the exports."""

from orchestration.settings import Settings

if __name__ == "__main__":
    settings = Settings.from_env()
    print(f"Landing files: {settings.landing_dir}")
    print(f"Warehouse:     {settings.warehouse}")
    print(f"Exports:       {settings.export_dir}")
