"""Site-wide search: plans, weaknesses, measures, steps, step notes and evidence names.

Thai is written without spaces between words, so nothing here splits text into
words: every term is a plain substring (LIKE/ILIKE, with % _ \\ escaped), the
same on SQLite and PostgreSQL. Only what the user may read is searched
(`access.readable_organization_ids`).
"""
