"""The one exception type that the command line turns into `error: ...` and exit 2."""


class SearchlabError(Exception):
    """Bad input or an impossible request.

    The message says what is wrong and how to fix it, in one line, so that the
    command line can print it as ``error: <message>`` without a traceback.
    """
