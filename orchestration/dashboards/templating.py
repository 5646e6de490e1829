"""The Jinja2 environment every dashboard page is rendered with.

Markup lives in `templates/` (a base layout, one template per page type, one include per
widget card); CSS and JavaScript live in `templates/static/` and are copied into each page
when it is rendered, so a page is one self-contained file that opens from disk, offline.

Autoescaping is on for every `.html` template: names and subjects are typed by CRM users,
and any value a template prints is escaped unless it is `Markup` (the SVG charts, which
`svg.py` builds with every text escaped). Undefined names raise (StrictUndefined), so a
misspelt field fails the build instead of printing nothing.

Adding a page type: write `templates/<page>.html` extending `base.html` (which carries the
employee notice, the navigation back to the index and the inlined assets) and call
`render_page("<page>.html", context)` with a dict holding at least `title`, `root` and
`site` (see `base.html`).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    UndefinedError,
    select_autoescape,
)
from markupsafe import Markup

from orchestration.dashboards.filters import FILTERS

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = TEMPLATES_DIR / "static"

# Issue 19 item 5 (the CRM suite's own rule for relationship analytics): shown in the
# footer of every page, on every site.
EMPLOYEE_NOTICE = (
    "These analytics help sellers and managers improve their customer relationships. "
    "They are not for decisions about employees' pay, rewards, seniority or other rights."
)

# Near the top of the manager views (owner and business-unit pages, issue 16 item 3): what
# they are for, in the words of the seed's warning.
MANAGER_NOTICE = (
    "These views help sellers and managers improve. They are not for decisions about "
    "employees' pay, rewards or standing."
)

# The closing tag that would end the element an asset is inlined into.
_CLOSING_TAGS = {".css": "</style", ".js": "</script"}


@cache
def inline_asset(name: str) -> Markup:
    """The text of `templates/static/<name>`, to place inside a <style> or <script> element.

    Raises FileNotFoundError for an unknown asset and ValueError when the file contains
    the element's closing tag (it would end the element early and turn the rest into
    markup): split the string in the asset (e.g. "<\\/script>") to fix it.
    """
    path = STATIC_DIR / name
    text = path.read_text(encoding="utf-8")
    closing = _CLOSING_TAGS.get(path.suffix)
    if closing is None:
        raise ValueError(f"{path}: only .css and .js assets can be inlined")
    if closing in text.lower():
        raise ValueError(f"{path} contains {closing!r}, which would end its element early")
    return Markup(text)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        # Templates do not change while a build runs: no stat() per include.
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(
        inline_asset=inline_asset,
        employee_notice=EMPLOYEE_NOTICE,
        manager_notice=MANAGER_NOTICE,
    )
    # `tojson` writes the index's rows: compact, UTF-8 as it is, dates as text. Jinja
    # escapes <, >, & and ' inside it, so the JSON cannot close its <script> element.
    env.policies["json.dumps_kwargs"] = {
        "ensure_ascii": False,
        "separators": (",", ":"),
        "default": str,
    }
    return env


def render_page(template_name: str, context: Mapping[str, Any]) -> str:
    """One whole HTML document from `templates/<template_name>` and its context.

    Raises UndefinedError naming the template and the page's title when a template uses a
    value its context lacks (a misspelt field, or a widget whose rows render.py does not
    pass): fix the name in the template or add the value in render.py.
    """
    try:
        return environment().get_template(template_name).render(context)
    except UndefinedError as error:
        raise UndefinedError(
            f"templates/{template_name} (page {context.get('title')!r}): {error.message}; "
            "fix the name in the template or add the value to the page's context in render.py"
        ) from error
