"""The few exceptions cstassist raises on purpose. Entry points map them to messages and HTTP codes."""


class CSTAssistError(Exception):
    """Base class: the message is safe to show to the caller."""

    code = "error"
    http_status = 400


class UnsupportedFile(CSTAssistError):
    code = "unsupported_file"
    http_status = 415


class UnreadableFile(CSTAssistError):
    """The file is of a supported type but empty, corrupt, encrypted or hostile."""

    code = "unreadable_file"
    http_status = 422


class FileTooLarge(CSTAssistError):
    code = "file_too_large"
    http_status = 413


class ParseTimeout(CSTAssistError):
    code = "parse_timeout"
    http_status = 422


class BadRequest(CSTAssistError):
    code = "bad_request"
    http_status = 400


class AccessDenied(CSTAssistError):
    code = "unauthorized"
    http_status = 401


class NotFound(CSTAssistError):
    code = "not_found"
    http_status = 404


class RateLimited(CSTAssistError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotReady(CSTAssistError):
    code = "not_ready"
    http_status = 503
