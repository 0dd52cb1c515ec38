"""The one exception type that the command line turns into `error: ...` and exit 2."""


class SearchlabError(Exception):
    """Bad input or an impossible request.

    The message says what is wrong and how to fix it, in one line, so that the
    command line can print it as ``error: <message>`` without a traceback.
    """


class DivergedError(SearchlabError):
    """The loss stopped being a finite number during a search (the step size was too large).

    Experiments that sweep settings may record it as an outcome; elsewhere it is
    reported like any other SearchlabError.
    """
