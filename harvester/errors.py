"""One exception tree: the CLI turns any HarvesterError into one clear line and exit 1."""


class HarvesterError(Exception):
    """Base of every error harvester reports to a person."""


class InvalidArxivId(HarvesterError, ValueError):
    """Text that is not an arXiv identifier; the message says why."""


class InputError(HarvesterError):
    """A reading list that cannot be read (missing, not UTF-8, not markdown)."""


class DatabaseError(HarvesterError):
    """The database file is not a usable harvester database."""


class FeedError(HarvesterError):
    """An arXiv response that is not a well-formed Atom feed."""


class ArxivUnavailable(HarvesterError):
    """arXiv could not be reached at all after every retry."""


class ForeignDatabase(DatabaseError):
    """An SQLite database that belongs to another application: never read, never changed."""


class DatabaseBusy(DatabaseError):
    """Another connection held the write lock for longer than the busy timeout."""
