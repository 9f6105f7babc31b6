"""Each user's choices about promotional messages."""

from __future__ import annotations

import uuid

from keel_notification.domain.commands import UpdatePreferences
from keel_notification.domain.model import Preferences
from keel_notification.service_layer.ports import UnitOfWork


def get_preferences(uow: UnitOfWork, user_id: uuid.UUID) -> Preferences:
    """The user's preferences; everything allowed and no quiet hours until they choose."""
    with uow:
        return uow.preferences.get(user_id) or Preferences(user_id=user_id)


def update_preferences(uow: UnitOfWork, command: UpdatePreferences) -> Preferences:
    """Replace the user's preferences with the ones given."""
    with uow:
        prefs = uow.preferences.get(command.user_id)
        if prefs is None:
            prefs = Preferences(user_id=command.user_id)
            uow.preferences.add(prefs)
        prefs.email_promotional = command.email_promotional
        prefs.sms_promotional = command.sms_promotional
        prefs.push_promotional = command.push_promotional
        prefs.quiet_hours = command.quiet_hours
        uow.commit()
    return prefs
