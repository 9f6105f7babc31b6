"""Auth's self-service events (issue #14): the user's locale picks the template language,
an email change sends a link to the new address and a notice to the old one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from keel_events.auth import (
    EmailChanged,
    EmailChangeRequested,
    PasswordChanged,
    UserExportReady,
    UserProfileUpdated,
)
from keel_notification.domain.model import Contact
from keel_notification.service_layer.intake import handle_event

EXPIRES = datetime(2025, 3, 4, 11, 0, tzinfo=UTC)


@pytest.fixture
def accept(uow, planner, renderer, clock, policy):
    def _accept(event):
        return handle_event(uow, event, plan=planner, renderer=renderer, now=clock(), policy=policy)

    return _accept


def changed(user_id: uuid.UUID, locale: str | None) -> PasswordChanged:
    return PasswordChanged(user_id=user_id, email="marie@example.com", name="Marie", locale=locale)


def test_a_user_with_locale_fr_gets_the_french_template(accept, events, uow):
    user_id = uuid.uuid4()
    uow.contacts.add(Contact(user_id=user_id, email="marie@example.com", locale="en"))

    accepted = accept(events.make(changed(user_id, "fr")))

    [message] = accepted.ready
    assert message.subject == "Votre mot de passe a été modifié"
    assert message.text.startswith("Bonjour Marie,")
    assert accepted.notifications[0].locale == "fr"
    assert uow.contacts.get(user_id).locale == "fr"  # kept for core's mails too


def test_without_a_locale_the_contacts_language_stays(accept, events, uow):
    user_id = uuid.uuid4()
    uow.contacts.add(Contact(user_id=user_id, email="ada@example.com", locale="en"))

    accepted = accept(events.make(changed(user_id, None)))

    assert accepted.ready[0].subject == "Your password was changed"


def test_a_profile_update_sends_nothing_but_keeps_the_locale(accept, events, uow):
    user_id = uuid.uuid4()
    uow.contacts.add(Contact(user_id=user_id, email="marie@example.com", locale="en"))

    accepted = accept(
        events.make(UserProfileUpdated(user_id=user_id, name="Marie", locale="fr-CA"))
    )

    assert accepted.notifications == []
    assert uow.contacts.get(user_id).locale == "fr-CA"


def request(user_id: uuid.UUID, token: str | None) -> EmailChangeRequested:
    return EmailChangeRequested(
        user_id=user_id,
        email="ada@example.com",
        new_email="ada@new.example",
        name="Ada",
        confirmation_token=token,
        expires_at=EXPIRES,
        locale="fr",
    )


def test_an_email_change_sends_the_link_to_the_new_address_and_a_notice_to_the_old(
    accept, events, uow
):
    user_id = uuid.uuid4()

    accepted = accept(events.make(request(user_id, "tok-42")))

    by_address = {m.to: m for m in accepted.ready}
    assert set(by_address) == {"ada@example.com", "ada@new.example"}
    link = by_address["ada@new.example"]
    assert "confirm-email-change?token=tok-42" in link.text
    assert link.subject == "Confirmez votre nouvelle adresse e-mail"
    notice = by_address["ada@example.com"]
    assert "ada@new.example" in notice.text
    assert "tok-42" not in notice.text


def test_no_token_no_link_only_the_notice(accept, events):
    accepted = accept(events.make(request(uuid.uuid4(), None)))

    [notice] = accepted.ready
    assert notice.to == "ada@example.com"


def test_a_confirmed_change_moves_the_contact(accept, events, uow):
    user_id = uuid.uuid4()
    uow.contacts.add(Contact(user_id=user_id, email="ada@example.com"))
    event = EmailChanged(
        user_id=user_id, email="ada@new.example", previous_email="ada@example.com", name=None
    )

    accepted = accept(events.make(event))

    assert accepted.notifications == []
    assert uow.contacts.get(user_id).email == "ada@new.example"


@pytest.mark.parametrize(("locale", "subject"), [("en", "Your data"), ("fr", "L'export")])
def test_an_export_ready_mails_the_single_use_link_in_the_users_language(
    accept, events, locale, subject
):
    ready = UserExportReady(
        user_id=uuid.uuid4(), email="ada@example.com", name="Ada",
        download_token="dl-42", expires_at=EXPIRES, locale=locale,
    )  # fmt: skip

    [mail] = accept(events.make(ready)).ready

    assert mail.to == "ada@example.com" and mail.subject.startswith(subject)
    assert "/v1/auth/me/export/dl-42" in mail.text
