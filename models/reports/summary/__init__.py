"""The year-end summary (年度总结): figures from the database, a report in the bureau's words.

    figures.py    every number, as SQL aggregates as of an instant (pure reading)
    context.py    the figures as the templates' context, and as the --json shape
    appendix.py   each figure with how it was counted
    charts.py     on-time rate by unit (bars), overdue items by month (line), in a CJK font
    docx.py       the .docx: docxtpl template, sandboxed, then GB/T 9704 layout enforced
    layout.py     the 公文 layout: page, margins, fonts, page numbers
    template_builder.py  builds the shipped template (python -m models.reports.summary.template_builder)
    text.py       the .html and .md forms (Jinja2 templates, sandboxed)
    carry.py      open items carried into next year's items, once
"""
