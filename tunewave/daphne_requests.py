"""Daphne's HTTP requests, minus Twisted's own parsing of POSTed forms.

Twisted's `Request` parses every POST with a multipart or urlencoded body into
`request.args` before Daphne hands the body to the app: it reads the whole body into one
string and splits it into parts, which cost 650 MB for a 50 MB multipart POST, and a body it
cannot parse got a bare `400 Bad Request` with no JSON that the app never saw. Daphne never
reads `request.args`. Twisted turns the parsing off with its documented
`Request(parsePOSTFormSubmission=False)`, but Daphne builds each request itself (its
`HTTPFactory.buildProtocol` names `daphne.http_protocol.WebRequest`), so the one way in is to
swap that name for a subclass that passes the flag. `tunewave/tests/test_hostile_input.py`
fails if a Daphne or Twisted upgrade stops this from taking effect.
"""

from daphne import http_protocol
from daphne.http_protocol import WebRequest as DaphneWebRequest  # Daphne's own, taken before install()


class FormlessWebRequest(DaphneWebRequest):
    def __init__(self, *args, **kwargs):
        kwargs["parsePOSTFormSubmission"] = False
        super().__init__(*args, **kwargs)


def install() -> None:
    """Called once by tunewave/asgi.py, before Daphne accepts a connection."""
    http_protocol.WebRequest = FormlessWebRequest
