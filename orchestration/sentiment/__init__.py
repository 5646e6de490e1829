"""Sentiment of customer emails for the health score (docs/kpi_definitions.md section 6).

`scorer` turns one email's text into (language, compound); `table` keeps
`raw.email_sentiment` up to date incrementally from `raw.email`.
"""
