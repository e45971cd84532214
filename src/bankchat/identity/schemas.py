"""The identity API's request and response bodies, validated at the edge.

Field names are camelCase on the wire (``displayName``, ``csrfToken``) and snake_case in
Python. Requests refuse unknown fields; text that ends up in the database refuses control
characters (PostgreSQL cannot store NUL, and nothing legitimate needs them).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from bankchat.identity.passwords import MAX_LENGTH as PASSWORD_MAX_LENGTH
from bankchat.identity.service import normalise_email
from bankchat.language import Language

EMAIL_MAX_LENGTH: Final = 254
DISPLAY_NAME_MAX_LENGTH: Final = 80

# Deliberately narrower than RFC 5321: plain ASCII dot-atoms only, a domain of at least
# two labels and a top-level label that is not all digits. Quoted local parts, IP
# literals and internationalised addresses are refused rather than half-supported.
_LOCAL_PART: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
)
_DOMAIN_LABEL: Final = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def is_plausible_email(email: str) -> bool:
    """Whether ``email`` (already normalised) has the shape of a deliverable address."""
    if len(email) > EMAIL_MAX_LENGTH or email.count("@") != 1:
        return False
    local_part, domain = email.split("@")
    if len(local_part) > 64 or not _LOCAL_PART.fullmatch(local_part):
        return False
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )


def _email(value: str) -> str:
    email = normalise_email(value)
    if not is_plausible_email(email):
        raise ValueError("not a valid email address")
    return email


def _encodable(value: str) -> str:
    # json.loads lets lone surrogates ("\\ud800") through; they cannot be UTF-8 encoded.
    if any(unicodedata.category(char) == "Cs" for char in value):
        raise ValueError("must be valid Unicode text")
    return value


def _printable(value: str) -> str:
    if any(unicodedata.category(char) == "Cc" for char in _encodable(value)):
        raise ValueError("must not contain control characters")
    return value


Email = Annotated[str, StringConstraints(max_length=EMAIL_MAX_LENGTH), AfterValidator(_email)]
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=DISPLAY_NAME_MAX_LENGTH),
    AfterValidator(_printable),
]
# The policy (minimum length and the rest) is the service's; the edge only caps the
# length so nobody can make the server hash a megabyte.
Password = Annotated[
    str, StringConstraints(max_length=PASSWORD_MAX_LENGTH), AfterValidator(_encodable)
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel)


class _Response(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class SignUpRequest(_Request):
    email: Email
    display_name: DisplayName
    password: Password
    language: Language = "en"


class LogInRequest(_Request):
    email: Email
    password: Password


class ProfileUpdate(_Request):
    """Only the fields present are changed."""

    display_name: DisplayName | None = None
    language: Language | None = None


class PersonOut(_Response):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    display_name: str
    language: Language
    created_at: datetime


class SessionOut(_Response):
    """The signed-in person and the token their unsafe requests send as X-CSRF-Token."""

    person: PersonOut
    csrf_token: str
