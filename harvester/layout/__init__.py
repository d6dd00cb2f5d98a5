"""A reading list written in its curator's own layout (pure: text and records in, text out).

`spans` finds the pieces of an entry in its source text (links, the date, the
venue); `style` learns how each section writes its entries; `curator`
regenerates a list from its own text with arXiv's titles, canonical links, v1
dates and what enrichment knows; `awesome` writes a plain awesome-list layout;
`insert` adds one paper at the end of a section in that section's style.
"""

from .curator import regenerate
from .facts import PaperFacts
from .insert import AddRefused, add_entry
from .style import SectionStyle, learn_styles

__all__ = ["AddRefused", "PaperFacts", "SectionStyle", "add_entry", "learn_styles", "regenerate"]
