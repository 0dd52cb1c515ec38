"""The error contract of the command line, checked the same way by every test that needs it."""

from __future__ import annotations

from searchlab.cli import main


def error_line(capsys, argv: list[str]) -> str:
    """Run the CLI; assert exit 2 with exactly one `error: ...` line on stderr and no traceback; return the line."""
    code = main(argv)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def assert_config_refuses(config_cls, settings: dict, words: list[str]) -> None:
    """Building `config_cls(**settings)` raises one one-line SearchlabError that names every word in `words`."""
    import pytest

    from searchlab.core.errors import SearchlabError

    with pytest.raises(SearchlabError) as caught:
        config_cls(**settings)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
