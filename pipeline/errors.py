"""One error tree for the whole domain.

    HandoutsError                 every failure a user or operator should read; `.message` says what and what to do
    ├── ConfigError               a setting is missing or wrong (names the variable)
    ├── InputError                the request itself is wrong; retrying cannot help
    │   ├── SourceNotFound        a path that does not exist, or a URL that answers 404/410
    │   ├── NotAVideo             what arrived is not a video (HTML, text, an image, zero bytes)
    │   ├── CorruptMedia          a video that is truncated or cannot be decoded
    │   ├── NoVideoStream         a media file with audio only
    │   ├── BadCaptions           a subtitle file that cannot be parsed
    │   └── JobNotFound           no job has the id asked for
    ├── SourceUnavailable         an outside service failed (5xx, timeout, reset); `retryable`
    ├── StorageError              the file store failed; `retryable`
    ├── StageFailed               a stage failed for a reason of its own; `retryable` says whether a retry may help
    ├── StageTimeout              a stage ran past its time limit
    └── AIError                   an AI task failed (`task`, `retryable`)
        ├── AIOutputInvalid       the answer did not fit the schema, was empty, refused or cut short
        └── AIUnavailable         the endpoint failed or its circuit is open

Cancellation is control flow, not an error: `Cancelled` derives from BaseException so that no
`except Exception` swallows it on its way to the runner. `LeaseLost` (a subclass) stops a stage whose claim
another worker has taken over (the reaper gave it away, or this worker released it while shutting down).
"""

from __future__ import annotations


class HandoutsError(Exception):
    """Base of every domain error; `message` is shown to people as it is."""

    retryable: bool = False
    code: str = "error"

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict:
        """The error as stored on a job or stage record."""
        return {"code": self.code, "message": self.message, "retryable": self.retryable,
                **{k: v for k, v in self.context.items() if isinstance(v, (str, int, float, bool, type(None)))}}


class ConfigError(HandoutsError):
    code = "config"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}", variable=variable)
        self.variable = variable


class InputError(HandoutsError):
    code = "bad_input"


class SourceNotFound(InputError):
    code = "source_not_found"

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(detail, source=source)
        self.source = source


class NotAVideo(InputError):
    code = "not_a_video"

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(detail, source=source)
        self.source = source


class CorruptMedia(InputError):
    code = "corrupt_media"

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(detail, source=source)
        self.source = source


class NoVideoStream(InputError):
    code = "no_video_stream"

    def __init__(self, source: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{source} has no video stream (audio only?): Handouts needs the slides on screen; "
                         "give the recording that shows the screen.", source=source)
        self.source = source


class BadCaptions(InputError):
    code = "bad_captions"

    def __init__(self, source: str, detail: str) -> None:
        super().__init__(detail, source=source)
        self.source = source


class JobNotFound(InputError):
    code = "job_not_found"

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id '{job_id}'", job_id=job_id)


class SourceUnavailable(HandoutsError):
    code = "source_unavailable"

    def __init__(self, url: str, detail: str, *, status: int | None = None, retryable: bool = True) -> None:
        super().__init__(detail, url=url, status=status)
        self.url = url
        self.status = status
        self.retryable = retryable


class StorageError(HandoutsError):
    code = "storage"

    def __init__(self, key: str, detail: str, *, retryable: bool = True) -> None:
        super().__init__(detail, key=key)
        self.key = key
        self.retryable = retryable


class StageFailed(HandoutsError):
    code = "stage_failed"

    def __init__(self, stage: str, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail, stage=stage)
        self.stage = stage
        self.retryable = retryable


class StageTimeout(HandoutsError):
    code = "stage_timeout"
    retryable = True

    def __init__(self, stage: str, seconds: float) -> None:
        super().__init__(f"stage '{stage}' ran past its limit of {seconds:.0f} s; raise "
                         f"HANDOUTS_STAGE_TIMEOUT_{stage.upper()} or try a shorter recording", stage=stage)
        self.stage = stage


class Cancelled(BaseException):
    """Raised inside a stage when its job was cancelled; the runner marks the job cancelled."""


class LeaseLost(Cancelled):
    """Raised inside a stage whose lease is no longer this worker's: it stops without recording anything."""

    def __init__(self, job_id: str, stage: str) -> None:
        super().__init__(job_id, stage)
        self.job_id = job_id
        self.stage = stage


class AIError(HandoutsError):
    """An AI task failed; `retryable` says whether trying again later may help."""

    code = "ai_failed"

    def __init__(self, task: str, detail: str, *, retryable: bool = False) -> None:
        super().__init__(detail, task=task)
        self.task = task
        self.retryable = retryable


class AIOutputInvalid(AIError):
    """The model answered, but not with something that fits the task's schema (or a refusal, or empty)."""

    code = "ai_output_invalid"


class AIUnavailable(AIError):
    """The AI endpoint failed (rate limit, 5xx, timeout) or its circuit is open; a later retry may work."""

    code = "ai_unavailable"

    def __init__(self, task: str, detail: str, *, retryable: bool = True) -> None:
        super().__init__(task, detail, retryable=retryable)
