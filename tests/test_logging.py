"""Structured logging."""

from __future__ import annotations

import json
import logging

from bankchat.logging import ConsoleFormatter, JsonFormatter


def _record(**extra: object) -> logging.LogRecord:
    record = logging.LogRecord(
        "bankchat.test", logging.INFO, __file__, 1, "consent %s", ("x",), None
    )
    record.__dict__.update(extra)
    return record


def test_json_lines_carry_the_event_and_its_extra_fields() -> None:
    line = json.loads(JsonFormatter().format(_record(bank="lindenbank")))
    assert line["event"] == "consent x"
    assert line["level"] == "info"
    assert line["bank"] == "lindenbank"


def test_json_lines_leave_out_uvicorns_coloured_copy() -> None:
    line = json.loads(JsonFormatter().format(_record(color_message="\x1b[1mconsent\x1b[0m")))
    assert "color_message" not in line


def test_console_lines_show_extra_fields_as_key_value() -> None:
    assert "bank=lindenbank" in ConsoleFormatter().format(_record(bank="lindenbank"))
