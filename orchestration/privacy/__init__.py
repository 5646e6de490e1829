"""Privacy controls (issue 19): exclusions, retention and erasure applied to raw.

Every control acts on the raw tables of a run before they are swapped in
(`raw_filter.apply_privacy_filter`), so staging, the models, the exports and the
dashboards never see what it removes. `register.py` keeps the erasure register (salted
hashes, no personal data) and the audit log; `erase.py` is `make erase`. What each control
does, its default and what a data-protection review needs to know: docs/privacy.md.
"""
