"""The one exception type of infra.pki.

It subclasses ValueError because every failure it reports is a bad input: a bad argument, a
lookup of an entry that the lab set was not created with, or a directory that holds a set
made for other parameters. Messages start with the name of the offending argument so a
failing fixture points straight at the call site.
"""


class PkiError(ValueError):
    """A bad argument or an unusable lab PKI directory; the message names the argument."""
