"""Markdown reading lists -> sections, entries and links, exactly as written. Pure: text in, data out.

`parser.py` holds the records and `parse_reading_list`; the other modules are its
parts: `frontmatter` (YAML front matter), `blocks` (markdown-it tokens -> list
items, table rows, headings), `inline` (inline tokens -> text and links),
`fields` (dates, venues, rating marks, notes), `linkroles` (title / paper / code /
notes links) and `sections` (which headings are not about papers).
"""

from .parser import Entry, Link, NotedDate, ReadingList, Section, parse_reading_list

__all__ = ["Entry", "Link", "NotedDate", "ReadingList", "Section", "parse_reading_list"]
