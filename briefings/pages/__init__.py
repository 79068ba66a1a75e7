"""Public web pages for stories and companies, served by `briefings web` under BRIEFINGS_PUBLIC_URL.

Only public news data is shown (articles, stories, companies, themes, coverage), never who follows
what. Pages are rendered on the server from Jinja2 templates shipped with the package; no script runs.
"""
