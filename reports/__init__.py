"""Program leads' reports (DESIGN.md "Reports"): pandas tables and server-drawn SVG charts.

Dependencies point one way: `web/` → `reports/` → `models/` → `matcher/`. A report is a
function `(session, filters, as_of) -> Report`; each of its tables carries the raw counts and
the rules that turn them into what people see (small-cell suppression), so a page, its CSV and
its chart can never disagree. No report holds a child's name, A-number or birth date.
"""
