"""OTP SMS metrics, so an alert can fire before the SMS bill does.

These belong in ``keel_common.metrics`` with every other metric (requested from the lead);
they live here until then, under the names the alert rules should use.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from keel_auth.service_layer import ports

OTP_SMS_SENT = Counter(
    "keel_auth_otp_sms_sent_total",
    "OTP SMS handed to the notification service, by destination region.",
    ["region"],
)
OTP_SMS_REFUSED = Counter(
    "keel_auth_otp_sms_refused_total",
    "OTP SMS requests refused before sending, by reason (region, throttled).",
    ["reason"],
)
OTP_SMS_BUDGET_REMAINING = Gauge(
    "keel_auth_otp_sms_daily_budget_remaining",
    "OTP SMS still allowed in the current 24-hour window (the daily cap minus those sent).",
    multiprocess_mode="livemin",
)


class PrometheusOtpSmsMeter(ports.OtpSmsMeter):
    def sent(self, region: str, remaining_today: int) -> None:
        OTP_SMS_SENT.labels(region=region).inc()
        OTP_SMS_BUDGET_REMAINING.set(remaining_today)

    def refused(self, reason: str) -> None:
        OTP_SMS_REFUSED.labels(reason=reason).inc()
