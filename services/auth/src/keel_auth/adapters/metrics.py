"""The OTP SMS meter port over Prometheus, so an alert can fire before the SMS bill does."""

from __future__ import annotations

from keel_auth.service_layer import ports
from keel_common.metrics import (
    AUTH_OTP_SMS_BUDGET_REMAINING,
    AUTH_OTP_SMS_REFUSED,
    AUTH_OTP_SMS_SENT,
)


class PrometheusOtpSmsMeter(ports.OtpSmsMeter):
    def sent(self, region: str, remaining_today: int) -> None:
        AUTH_OTP_SMS_SENT.labels(region=region).inc()
        AUTH_OTP_SMS_BUDGET_REMAINING.set(remaining_today)

    def refused(self, reason: str) -> None:
        AUTH_OTP_SMS_REFUSED.labels(reason=reason).inc()
