"""Push devices: registered by the apps, removed by them or by the push providers."""

from __future__ import annotations

from datetime import datetime

from keel_notification.domain.commands import RegisterDevice, RemoveDevice
from keel_notification.domain.errors import DeviceNotFound
from keel_notification.domain.model import Device
from keel_notification.service_layer.ports import UnitOfWork


def register_device(uow: UnitOfWork, command: RegisterDevice) -> tuple[Device, bool]:
    """Register a token for the caller; idempotent. Returns the device and whether it is new.

    A token already registered by another user moves to the caller: a token identifies an
    app installation, and the person signed in on it is the one who should get the pushes.
    Presenting the token is the proof: APNs and FCM issue it to that installation only, it
    is never shown to other users nor put in a URL, and pushes go to the device, not to
    whoever registered it; so a stranger cannot read anyone's pushes by "moving" a token,
    only someone already holding the installation's secret could redirect it.
    """
    with uow:
        device = uow.devices.by_token(command.token)
        created = device is None
        if device is None:
            device = Device(user_id=command.user_id, platform=command.platform, token=command.token)
            uow.devices.add(device)
        else:
            device.register(command.user_id, command.platform)
        uow.commit()
    return device, created


def remove_device(uow: UnitOfWork, command: RemoveDevice, *, now: datetime) -> None:
    """Unregister the caller's token; another user's token is reported as not found."""
    with uow:
        device = uow.devices.get(command.device_id)
        if device is None or device.is_removed or device.user_id != command.user_id:
            raise DeviceNotFound("no such device")
        device.remove(now)
        uow.commit()
