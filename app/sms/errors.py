"""SMS failures as the rest of the service sees them, by what the caller should do next."""

from app.common.errors import AppError


class SmsError(AppError):
    """The provider answered with an error; ``provider_code`` keeps its code (no phone number)."""

    status = 502
    code = "sms_error"

    def __init__(self, provider_code=None, provider_message=None, *, code=None, message=None, status=None):
        self.provider_code = provider_code
        self.provider_message = provider_message
        super().__init__(
            code=code,
            message=message or f"The SMS provider answered {provider_code}: {provider_message}",
            status=status,
            details={"provider_code": provider_code} if provider_code else {},
        )


class SmsRateLimited(SmsError):
    """A frequency limit (per number, per app, per second): send again later."""

    status = 503
    code = "sms_rate_limited"


class SmsUnavailable(SmsError):
    """The provider is unreachable or failed inside: send again later."""

    status = 503
    code = "sms_unavailable"


class SmsRejected(SmsError):
    """A permanent refusal (template or parameters, signature, account, number): do not retry."""

    status = 502
    code = "sms_rejected"


class SmsOptedOut(SmsError):
    """The number is on the provider's blacklist (the member unsubscribed): record an opt-out."""

    status = 409
    code = "sms_opted_out"


class SmsNotConfigured(SmsError):
    """Live mode without its keys, app id, signature or template ids."""

    status = 503
    code = "sms_not_configured"
