"""`make validate-health`: does the relationship health score predict won and lost deals?

dbt computes everything (int_opportunity_health_at_horizons scores every closed
opportunity 30, 60 and 90 days before its close; mart_health_validation holds the AUC, the
win rates and their intervals); this package only rebuilds those two models, with the
parameter overrides to compare, and writes the mart as Markdown (docs/health_validation.md).
"""
