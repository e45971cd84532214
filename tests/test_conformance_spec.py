"""The official NextGenPSD2 spec, which every sandbox response in the tests is checked
against, is itself valid OpenAPI (checked once here, not by each test process that loads
it)."""

from __future__ import annotations

from tests.conformance import check_spec, spec_path
from tests.services import unavailable


def test_the_nextgenpsd2_spec_is_valid_openapi() -> None:
    path = spec_path()
    if path is None:
        unavailable("BANKCHAT_SPEC_DIR does not point at the NextGenPSD2 spec directory")
        raise AssertionError("unreachable")
    check_spec(path)
