"""Raw arXiv entries, packed: the Atom XML arXiv returned, zlib-compressed with a preset dictionary.

Kept verbatim as evidence, the XML was over half of the database file at 100,000
papers (benchmarks/scale). Most of an entry is the same markup every time (the
namespaces, tag names, link and category attributes), so zlib is primed with
that markup: an entry then costs its own words, not its boilerplate. Packing
round-trips exactly (`unpack(pack(xml)) == xml`).

A packed entry is a format byte, then the compressed bytes. The dictionary is
part of the format: a different one would need a new format byte, and
`unpack` keeps reading every format it ever wrote. Format 2 is format 1's
deflate stream without zlib's wrapper: the wrapper's header, dictionary id and
checksum were 10 of an entry's ~160 bytes on the synthetic corpus, and SQLite
already checks its pages. Rows of format 1 are rewritten as format 2 whenever
the paper is fetched again (every refresh asks again for papers older than
the stale age), so no migration rewrites them.

Reading one back: every connection harvester opens has the SQL function
`raw_xml(xml_zlib)`, so `harvester query "SELECT raw_xml(xml_zlib) FROM
raw_entries WHERE arxiv_id = '1907.05642'"` prints the XML; from Python,
`harvester.rawentries.unpack(blob)`.
"""

from __future__ import annotations

import sqlite3
import zlib

SQL_FUNCTION = "raw_xml"
FORMAT_ZLIB_DICTIONARY_1 = 1  # zlib stream (header, dictionary id, Adler-32), dictionary 1
FORMAT_DEFLATE_DICTIONARY_1 = 2  # the same deflate stream, unwrapped
_RAW_DEFLATE = -15  # wbits: a bare deflate stream with a 32 KiB window

# The markup of an arXiv API entry as harvester serializes it (both dialects):
# the strings every entry repeats. Later strings in a zlib dictionary are the
# cheapest to refer to, so the most frequent ones come last. Never edit: stored
# entries were packed with exactly these bytes (add a new format instead).
_DICTIONARY_1 = (
    b'<opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">'
    b"<arxiv:affiliation></arxiv:affiliation>"
    b'<arxiv:doi></arxiv:doi><atom:link href="https://doi.org/10." rel="related" title="doi" />'
    b"<arxiv:journal_ref></arxiv:journal_ref>"
    b"<arxiv:comment></arxiv:comment>"
    b'<atom:link title="doi" href="http://dx.doi.org/10." rel="related" />'
    b'<atom:link title="pdf" href="http://arxiv.org/pdf/v1" rel="related" type="application/pdf" />'
    b'<atom:link href="http://arxiv.org/abs/v1" rel="alternate" type="text/html" />'
    b'<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG" scheme="http://arxiv.org/schemas/atom" />'
    b'<atom:category term="cs.CV" scheme="http://arxiv.org/schemas/atom" />'
    b'<atom:category term="stat.ML" scheme="http://arxiv.org/schemas/atom" />'
    b'<atom:category term="cs.AI" scheme="http://arxiv.org/schemas/atom" />'
    b'<atom:entry xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:atom="http://www.w3.org/2005/Atom">\n'
    b"    <atom:id>http://arxiv.org/abs/</atom:id>\n"
    b"    <atom:title></atom:title>\n"
    b"    <atom:updated>T00:00:00Z</atom:updated>\n"
    b'    <atom:link href="https://arxiv.org/abs/v1" rel="alternate" type="text/html" />\n'
    b'    <atom:link href="https://arxiv.org/pdf/v1" rel="related" type="application/pdf" title="pdf" />\n'
    b"    <atom:summary>  We propose a novel method for the problem of deep neural networks. "
    b"In this paper, we show that the proposed approach, and the results of our experiments "
    b"on the state-of-the-art models, are based on a new learning framework. </atom:summary>\n"
    b'    <atom:category term="cs.LG" scheme="http://arxiv.org/schemas/atom" />\n'
    b"    <atom:published>T12:00:00Z</atom:published>\n"
    b'    <arxiv:primary_category term="cs.LG" />\n'
    b"    <atom:author>\n"
    b"      <atom:name></atom:name>\n"
    b"    </atom:author>\n"
    b"    <atom:author>\n"
    b"      <atom:name></atom:name>\n"
    b"    </atom:author>\n"
    b"  </atom:entry>"
)


def pack(xml: str) -> bytes:
    """The entry's XML as stored: the format byte, then deflate with the preset dictionary."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _RAW_DEFLATE, zdict=_DICTIONARY_1)
    return bytes([FORMAT_DEFLATE_DICTIONARY_1]) + compressor.compress(xml.encode("utf-8")) + compressor.flush()


def unpack(blob: bytes) -> str:
    """The XML `pack` was given, byte for byte; rows packed in any earlier format too."""
    if blob[:1] == bytes([FORMAT_DEFLATE_DICTIONARY_1]):
        decompressor = zlib.decompressobj(_RAW_DEFLATE, zdict=_DICTIONARY_1)
    elif blob[:1] == bytes([FORMAT_ZLIB_DICTIONARY_1]):
        decompressor = zlib.decompressobj(zdict=_DICTIONARY_1)
    else:
        raise ValueError("not a packed raw entry (unknown format byte)")
    data = decompressor.decompress(blob[1:]) + decompressor.flush()
    if not decompressor.eof or decompressor.unused_data:
        # Without zlib's checksum a cut-off or padded blob must not read as a shorter entry.
        raise ValueError("not a packed raw entry (damaged or incomplete)")
    return data.decode("utf-8")


def _sql_raw_xml(blob: object) -> str | None:
    # A query over other columns or rows must not fail because one cell is not a packed entry.
    if not isinstance(blob, bytes):
        return None
    try:
        return unpack(blob)
    except (ValueError, zlib.error, UnicodeDecodeError):
        return None


def register_sql_function(connection: sqlite3.Connection) -> None:
    """`raw_xml(xml_zlib)` in SQL on this connection: the entry's XML, NULL for anything else."""
    connection.create_function(SQL_FUNCTION, 1, _sql_raw_xml, deterministic=True)
