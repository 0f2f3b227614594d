"""The compatibility report: result records in (reports/SCHEMA.md), a static site out.

`python -m reports` builds the site (reports/site.py); the pytest plugin fixtures/results.py
writes the records it reads, with the schema, facts.json and secret handling shared from here.
"""
