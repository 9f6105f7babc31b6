"""Value rules: email and phone normalisation, the password policy, roles and permissions."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import email_validator
import phonenumbers
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from keel_auth.domain.errors import InvalidInput

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
# zxcvbn score 2 = more than 10^6 guesses: below that a password falls to an online attack
# that respects our rate limits within weeks, whatever characters it is made of.
MIN_PASSWORD_SCORE = 2

# Roles a user can hold and the permissions each grants ("*" = all, "orders:*" = a prefix).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "user": frozenset(),
    "staff": frozenset(
        {
            "products:write",
            "orders:read_any",
            "orders:update_any",
            "notifications:send",
            # The back-office's Users page: read accounts, end sessions, disable (not roles).
            "users:read",
            "users:operate",
        }
    ),
    "admin": frozenset({"*"}),
}
DEFAULT_ROLES: tuple[str, ...] = ("user",)


def normalize_email(value: str) -> str:
    """The canonical address (domain lower-cased, IDNA-encoded); InvalidInput if malformed."""
    try:
        checked = email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidInput("email", str(exc)) from exc
    # The local part is case-sensitive by RFC, but accounts must not differ by case alone.
    return checked.normalized.lower()


def normalize_phone(value: str) -> str:
    """The E.164 form (``+14155550123``); the number must be written in E.164 and be valid."""
    if not E164.fullmatch(value):
        raise InvalidInput("phone", "the phone number must be in E.164 format, e.g. +14155550123")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput("phone", "the phone number is not a valid E.164 number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", "the phone number is not a valid E.164 number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_region(e164: str) -> str:
    """ISO 3166 region of a normalised phone number (``US``, ``GB``...)."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or "ZZ"


def phone_calling_code(e164: str) -> str:
    """The country calling code of a normalised number (``1``, ``44``...)."""
    return str(phonenumbers.parse(e164, None).country_code)


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_strength(password: str, user_inputs: Iterable[str] = ()) -> None:
    """OWASP ASVS V2.1: length 12..128, not a common or easily guessed password, no
    composition rules. ``user_inputs`` (email, name) must not make the password guessable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("password", f"use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput("password", f"use at most {MAX_PASSWORD_LENGTH} characters")
    if password.lower() in _common_passwords():
        raise InvalidInput("password", "this password is in a list of common passwords")
    inputs = [v for value in user_inputs for v in (value, *value.replace("@", " ").split()) if v]
    result = zxcvbn(password, user_inputs=inputs, max_length=MAX_PASSWORD_LENGTH)
    if result["score"] < MIN_PASSWORD_SCORE:
        raise InvalidInput("password", "this password is too easy to guess; try a passphrase")


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Known roles only, de-duplicated and sorted."""
    unique = sorted(set(roles))
    unknown = [role for role in unique if role not in ROLE_PERMISSIONS]
    if unknown:
        raise InvalidInput("roles", f"unknown roles: {', '.join(unknown)}")
    return tuple(unique)


def roles_grant(roles: Iterable[str], permission: str) -> bool:
    """Whether any of ``roles`` grants ``permission`` (``resource:action``)."""
    resource = permission.split(":", 1)[0]
    for role in roles:
        granted = ROLE_PERMISSIONS.get(role, frozenset())
        if {"*", permission, f"{resource}:*"} & granted:
            return True
    return False
