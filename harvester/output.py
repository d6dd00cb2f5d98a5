"""Printing data through rich without rich reading it as markup.

Notes, titles, file names, URLs and column names come from people and the web:
`[/r/MachineLearning]` would be a closing tag and `[code]` a style. Every value
therefore becomes a plain `Text`, and only harvester's own labels carry style.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


def make_console(*, stderr: bool = False, width: int | None = None) -> Console:
    # markup=False: a string printed by mistake without going through Text is still shown literally.
    return Console(stderr=stderr, soft_wrap=True, width=width, markup=False)


def cell(value: Any) -> Text:
    """A table cell showing `value` exactly as written (None as empty)."""
    return Text("" if value is None else str(value))


def data_table(title: str, columns: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Table:
    """A table whose title, headers and cells are all literal text."""
    table = Table(title=cell(title), title_justify="left")
    for column in columns:
        table.add_column(cell(column))
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    return table


def print_table(console: Console, table: Table, *, unwrapped: bool = False) -> None:
    """Print `table`; `unwrapped` makes the page as wide as the longest row needs, so no cell is folded."""
    if not unwrapped:
        console.print(table)
        return
    natural = Measurement.get(console, console.options.update_width(_UNLIMITED), table).maximum
    page_width = console.width
    console.width = max(natural, page_width)  # print() alone never renders wider than the console
    try:
        console.print(table)
    finally:
        console.width = page_width


_UNLIMITED = 1_000_000


def labelled(label: str, style: str, message: Any) -> Text:
    """`label: message` with the label styled and the message literal."""
    return Text.assemble((f"{label}:", style), " ", str(message))


def print_error(console: Console, message: Any) -> None:
    console.print(labelled("error", "red", message), highlight=False)


def print_warning(console: Console, message: Any, label: str = "warning") -> None:
    console.print(labelled(label, "yellow", message), highlight=False)


def print_plain(console: Console, message: Any) -> None:
    console.print(Text(str(message)), highlight=False)
