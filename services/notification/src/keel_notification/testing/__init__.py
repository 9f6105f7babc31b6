"""Local stand-ins for the delivery providers (SMTP relay, APNs, FCM, an SMS API).

They speak each provider's documented protocol on a loopback port, check the requests the
way the provider does and answer with its documented success and error responses. Tests
and ``bench/notification`` use them; production code never imports this package (it needs
the dev dependencies aiosmtpd and hypercorn).
"""
