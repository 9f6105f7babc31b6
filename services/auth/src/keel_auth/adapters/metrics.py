"""The auth service's own Prometheus metrics (listed in ``bootstrap.DECLARATION``) and the
OTP SMS meter port over them, so an alert can fire before the SMS bill does.

The names are the public contract of the alerts (``KeelAuthBruteForce``,
``KeelAuthOtpSmsSpike``) and the dashboard: rename one only together with them.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from keel_auth.service_layer import ports

AUTH_LOGIN_FAILURES = Counter(
    "keel_auth_login_failures_total",
    "Logins refused for wrong credentials (a spike means credential stuffing).",
)
AUTH_OTP_SMS_SENT = Counter(
    "keel_auth_otp_sms_sent_total",
    "OTP SMS handed to the notification service, by destination region.",
    ["region"],
)
AUTH_OTP_SMS_REFUSED = Counter(
    "keel_auth_otp_sms_refused_total",
    "OTP SMS requests refused before sending, by reason (region, throttled, daily_cap).",
    ["reason"],
)
AUTH_OTP_SMS_BUDGET_REMAINING = Gauge(
    "keel_auth_otp_sms_daily_budget_remaining",
    "OTP SMS still allowed in the current 24-hour window (the daily cap minus those sent).",
    multiprocess_mode="livemin",
)

ACCOUNT_VIEW_CACHE_READS = Counter(
    "keel_auth_account_view_cache_reads_total",
    "Account view cache reads (GET /v1/auth/me), by result (near_hit, hit, miss, unavailable).",
    ["result"],
)
ACCOUNT_VIEW_CACHE_INVALIDATIONS = Counter(
    "keel_auth_account_view_cache_invalidations_total",
    "Account view invalidations after a commit, by result (done; failed: replayed before this"
    " process reads the cache again).",
    ["result"],
)

METRICS = (
    AUTH_LOGIN_FAILURES,
    AUTH_OTP_SMS_SENT,
    AUTH_OTP_SMS_REFUSED,
    AUTH_OTP_SMS_BUDGET_REMAINING,
    ACCOUNT_VIEW_CACHE_READS,
    ACCOUNT_VIEW_CACHE_INVALIDATIONS,
)


class PrometheusOtpSmsMeter(ports.OtpSmsMeter):
    def sent(self, region: str, remaining_today: int) -> None:
        AUTH_OTP_SMS_SENT.labels(region=region).inc()
        AUTH_OTP_SMS_BUDGET_REMAINING.set(remaining_today)

    def refused(self, reason: str) -> None:
        AUTH_OTP_SMS_REFUSED.labels(reason=reason).inc()
