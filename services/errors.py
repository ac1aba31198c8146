"""Errors a service raises for the user to read: a catalogue key plus its parameters, never half a change."""


class ServiceError(Exception):
    """A refusal the user can understand; pages show t(key, **params)."""

    def __init__(self, key: str, *, field: str | None = None, **params):
        super().__init__(key)
        self.key = key
        self.field = field
        self.params = params


class ValidationFailed(ServiceError):
    """Input that breaks a rule; nothing was saved."""


class PermissionDenied(ServiceError):
    """The acting user may not do this."""


class NotFound(ServiceError):
    """Nothing to show: also the answer for what exists but is not the user's."""


class Unavailable(ServiceError):
    """The database does not answer (restarting, unreachable): nothing was changed; try again shortly."""


class Conflict(ServiceError):
    """The data changed under the user (a stale edit, a second setup, an answer given twice)."""
