"""Where users can be reached: kept from auth's events, so sending needs no call to auth."""

from __future__ import annotations

from keel_notification.domain.commands import RememberContact
from keel_notification.domain.model import Contact
from keel_notification.service_layer.ports import UnitOfWork


def remember_contact(uow: UnitOfWork, command: RememberContact) -> Contact | None:
    """Add or update the user's contact inside the caller's transaction; None when the user
    is not known and the command does not introduce them."""
    contact = uow.contacts.get(command.user_id)
    if contact is None:
        if command.registered_at is None:
            return None
        contact = Contact(user_id=command.user_id, registered_at=command.registered_at)
        uow.contacts.add(contact)
    if command.email:
        contact.email = command.email
    if command.phone:
        contact.phone = command.phone
    if command.locale:
        contact.locale = command.locale
    return contact
