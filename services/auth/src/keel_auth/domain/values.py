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
# BCP 47 (RFC 5646) language tags as people use them: language, optional script, optional
# region, optional variants ("en", "fr-CA", "zh-Hant-TW", "de-CH-1996"); no extensions.
BCP47 = re.compile(
    r"(?P<language>[a-z]{2,3})(?:-(?P<script>[a-z]{4}))?(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)",
    re.IGNORECASE,
)
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


def normalize_locale(value: str) -> str:
    """A BCP 47 tag in its canonical case (``fr-CA``, ``zh-Hant-TW``); InvalidInput if not one."""
    match = BCP47.fullmatch(value.strip()) if len(value) <= 35 else None
    if match is None:
        raise InvalidInput("locale", "use a BCP 47 language tag, e.g. en, fr or fr-CA")
    parts = [match["language"].lower()]
    if match["script"]:
        parts.append(match["script"].title())
    if match["region"]:
        parts.append(match["region"].upper())
    parts += [variant.lower() for variant in match["variants"].split("-") if variant]
    return "-".join(parts)


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
