"""Errors the core raises on purpose.

Every error carries a message for a person (already naming the thing and the fix) and, for
validation errors, the field it is about. The web layer turns these into JSON ``{"error"}``
with a 4xx status; the CLI prints the message on one line and exits 2.
"""


class TillboxError(Exception):
    """Base of the errors a caller is expected to show to a person."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def to_json(self) -> dict:
        body = {"error": self.message, "code": self.code}
        if self.field:
            body["field"] = self.field
        return body


class ValidationError(TillboxError):
    code = "invalid"


class NotFound(TillboxError):
    status = 404
    code = "not_found"


class Forbidden(TillboxError):
    status = 403
    code = "forbidden"


class Conflict(TillboxError):
    """The request is valid but the thing it is about is in the wrong state (or changed)."""

    status = 409
    code = "conflict"


class UsageError(TillboxError):
    """Bad input on the command line (a missing file, a malformed argument): exit 2."""

    code = "usage"


class Unauthorized(TillboxError):
    """Not signed in, signed out, or the session timed out."""

    status = 401
    code = "unauthorized"


class TooManyAttempts(TillboxError):
    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = retry_after
