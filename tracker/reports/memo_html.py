"""The O42 memo as one self-contained HTML page, the source of its PDF."""

from __future__ import annotations

from .memo_document import MEASURE_HEADERS, MemoDocument, arabic_document, th

__all__ = [
    "render_memo_html",
]


def render_memo_html(doc: MemoDocument) -> str:
    """The memo as one self-contained HTML page: the PDF's source."""
    from flask import render_template

    from .fonts import FONT_FAMILY, font_faces
    from .thaiwrap import keep_together

    html = keep_together(
        render_template(
            "reports/memo.html",
            d=doc,
            fonts=font_faces(embed=True),
            font_family=FONT_FAMILY,
            measure_headers=MEASURE_HEADERS,
            th=th,
        )
    )
    return html if doc.thai_digits else arabic_document(html)
