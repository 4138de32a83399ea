"""Human review: choose items for people to check, write them for an annotation tool, and read
the reviewed labels back as raters of the long annotation table.

`selection` picks the items (with each item's rule and selection probability); `questions` turns
a rubric into the questions a reviewer answers; one module per tool (`labelstudio`, `prodigy`,
`sandpiper`, `csvformat`) writes its format and reads its export back; `exporting` and
`importing` are the entry points the `edukit review` command calls.
"""

from __future__ import annotations

from edukit.review.exporting import ExportSettings, export_review
from edukit.review.importing import ImportSettings, import_review
from edukit.review.selection import SelectionSettings, select_items

__all__ = [
    "ExportSettings",
    "ImportSettings",
    "SelectionSettings",
    "export_review",
    "import_review",
    "select_items",
]
