"""The dashboard: a Datasette plugin with a start page, a page per list and charts drawn as SVG.

`plugin` is what Datasette loads (it imports Datasette); `charts`, `cells`, `data`
and `metadata` are plain Python and do not.
"""
