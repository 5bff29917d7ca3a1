"""OAuth sign-in with Google and Spotify (social-auth-app-django).

`login` starts the provider's consent screen; `callback` runs the social-auth pipeline
(settings.SOCIAL_AUTH_PIPELINE, whose TuneWave steps live below), issues our JWT pair and
sends the browser back to the SPA with the tokens in the URL fragment. Browsers never see
a 500 here: every failure becomes `…/auth/callback#error=<code>`, one of `ERROR_CODES`.

We sign people in with JWTs, not Django sessions; the session only carries social-auth's
`state` and our own `next`/link values from `login` to `callback`.

Linking a provider to a signed-in account takes three steps, all in one browser:
1. the SPA asks `POST /auth/link` (Bearer) for a ticket; that request's session (an HttpOnly,
   SameSite=Lax cookie) remembers who asked, for which provider, and the ticket's hash;
2. the SPA sends the browser to `/auth/<provider>/login?link=<ticket>`: a ticket that this
   browser's session did not ask for is refused, so a ticket sent to someone else is useless;
3. after the provider, `callback` links nothing: it keeps the provider account in the session
   and shows `/auth/link/confirm`, a page naming both accounts; only its CSRF-protected POST
   ("Link") links them, and "Cancel" drops the request.
"""

import hashlib
import hmac
import logging
import secrets
import time
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from social_core.actions import do_auth
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthConfigurationError,
    AuthCredentialError,
    AuthException,
    AuthInputError,
    AuthProviderError,
    AuthResponseError,
    AuthSessionError,
    SocialAuthBaseException,
)
from social_django.utils import load_backend, load_strategy

from accounts import services
from core.errors import Conflict, Invalid

logger = logging.getLogger(__name__)

PROVIDERS = {"google": "google-oauth2", "spotify": "spotify"}
_PROVIDER_BY_BACKEND = {backend: name for name, backend in PROVIDERS.items()}

# Backends whose profile response says whether the provider verified the e-mail. Google
# puts `email_verified` in its userinfo; Spotify never does, so its e-mails count as
# unverified and are never used to reach an existing account.
_VERIFIED_EMAIL_CLAIM = {"google-oauth2": "email_verified"}

# What the SPA may find in `#error=` (it shows a message per code).
ERROR_CODES = (
    "provider_not_configured",
    "link_invalid",
    "link_cancelled",
    "state_missing",
    "state_mismatch",
    "access_denied",
    "provider_error",
    "provider_unreachable",
    "email_missing",
    "email_invalid",
    "email_unverified",
    "email_in_use",
    "identity_in_use",
    "account_disabled",
    "auth_failed",
    "server_error",
)

_SESSION_NEXT = "tunewave_oauth_next"
_SESSION_LINK = "tunewave_oauth_link_user"
# Set by POST /auth/link in the browser that asked: who, which provider, the ticket's hash.
_SESSION_LINK_REQUEST = "tunewave_oauth_link_request"
# Set by the callback of a link flow: the provider account waiting for the person's "Link".
_SESSION_LINK_PENDING = "tunewave_oauth_link_pending"
# A link ticket must be used within this many seconds (the SPA redirects at once).
LINK_TICKET_TTL = 120
# The confirmation page waits this long for an answer.
_LINK_PENDING_TTL = 15 * 60
# We validate and keep `next` ourselves (front-end origins only), so social-auth's own
# `next` handling is pointed at a parameter nobody sends.
_SOCIAL_REDIRECT_NAME = "social_auth_next_unused"
_NEXT_MAX_LENGTH = 2000
_TRANSPORT_FAILURES = {"connection_failed", "timeout", "tls_error"}


def configured_providers() -> list[str]:
    configured = {
        "google": bool(settings.GOOGLE_CLIENT_ID and settings.GOOGLE_CLIENT_SECRET),
        "spotify": bool(settings.SPOTIFY_CLIENT_ID and settings.SPOTIFY_CLIENT_SECRET),
    }
    return [name for name in PROVIDERS if configured[name]]


class OAuthError(AuthException):
    """A TuneWave sign-in rule refused the login; `error_code` is what the SPA gets."""

    def __init__(self, backend, error_code: str):
        super().__init__(backend, code=error_code, stage="pipeline")
        self.error_code = error_code


# --- redirect targets -----------------------------------------------------------------


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _allowed_origins() -> set[str]:
    origins = {_origin(settings.FRONTEND_URL), *(_origin(o) for o in settings.FRONTEND_ORIGINS)}
    return {o for o in origins if o}


def safe_next(raw: str | None) -> str | None:
    """`raw` as an absolute URL when it points at a configured front-end origin, else None.

    Paths are taken relative to FRONTEND_URL. The whole authority must match, so user
    info (`https://app@evil.example`) or another port never passes.
    """
    if not raw or not isinstance(raw, str) or len(raw) > _NEXT_MAX_LENGTH:
        return None
    if "\\" in raw or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in raw):
        return None
    try:
        url = urljoin(settings.FRONTEND_URL, raw)
        origin = _origin(url)
    except ValueError:  # urlsplit refuses a host that NFKC turns into `#`, `@`, … (`a%EF%BC%83b@evil`)
        return None
    if origin is None or origin not in _allowed_origins():
        return None
    return url


def _landing_url(next_url: str | None) -> str:
    """The SPA page that reads the fragment: `/app/auth/callback` on the `next` origin.

    A `next` on another allowed origin (the Vite dev server) gets the tokens on its own
    origin, since the SPA keeps them in that origin's storage.
    """
    landing = urljoin(settings.FRONTEND_URL, "auth/callback")
    if next_url:
        path = urlsplit(landing).path
        landing = urljoin(next_url, path)
    return landing


def _redirect_with_fragment(next_url: str | None, params: dict[str, str]) -> HttpResponse:
    if next_url:
        params = {**params, "next": next_url}
    response = HttpResponseRedirect(f"{_landing_url(next_url)}#{urlencode(params)}")
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _fail(provider: str, code: str, next_url: str | None = None) -> HttpResponse:
    logger.info("OAuth sign-in with %s failed: %s", provider, code)
    return _redirect_with_fragment(next_url, {"error": code})


def _unknown_provider() -> JsonResponse:
    return JsonResponse({"detail": "Unknown sign-in provider.", "code": "not_found"}, status=404)


def _callback_uri(provider: str) -> str:
    # social-auth turns it absolute (https when SOCIAL_AUTH_REDIRECT_IS_HTTPS); login and
    # callback build it the same way, as the token request must repeat it exactly.
    return reverse("oauth-callback", kwargs={"provider": provider})


def _backend(request: HttpRequest, provider: str):
    strategy = load_strategy(request)
    return load_backend(strategy, PROVIDERS[provider], redirect_uri=_callback_uri(provider))


# --- linking: bound to the browser that asked, confirmed on a page ----------------------


def _digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def link_request_start(request: HttpRequest, *, user, provider: str) -> str:
    """Remembers in this browser's session that `user` asked to link `provider`, and returns
    the single-use ticket for `/auth/<provider>/login?link=`. Only this session can use it."""
    if provider not in configured_providers():
        raise Invalid("This sign-in provider is not configured here.", field="provider")
    ticket = secrets.token_urlsafe(32)
    request.session[_SESSION_LINK_REQUEST] = {
        "user_id": str(user.pk),
        "provider": provider,
        "ticket": _digest(ticket),
        "expires": time.time() + LINK_TICKET_TTL,
    }
    return ticket


def _link_request_user(link_request, *, ticket: str, provider: str):
    """The active user behind `ticket` if this browser's session asked for it, else None."""
    if not isinstance(link_request, dict) or not ticket or len(ticket) > 200:
        return None
    if link_request.get("provider") != provider or float(link_request.get("expires", 0)) < time.time():
        return None
    if not hmac.compare_digest(_digest(ticket), str(link_request.get("ticket", ""))):
        return None
    user_id = link_request.get("user_id")
    if user_id is None:
        return None
    return services.User.objects.filter(pk=user_id, is_active=True).first()


def _pending_link(request: HttpRequest) -> dict | None:
    pending = request.session.get(_SESSION_LINK_PENDING)
    if not isinstance(pending, dict) or float(pending.get("expires", 0)) < time.time():
        return None
    return pending


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def link_confirm(request: HttpRequest) -> HttpResponse:
    """The page that asks the signed-in person whether to link the provider account they just
    used (GET), and their answer (POST, CSRF-protected): "link" links, anything else cancels.

    What is waiting lives in this browser's session only: another browser finds nothing.
    """
    pending = _pending_link(request)
    user = None
    if pending is not None and pending.get("user_id") is not None:
        user = services.User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if pending is None or user is None:
        request.session.pop(_SESSION_LINK_PENDING, None)
        return _fail("link", "link_invalid")
    provider = pending["provider"]
    next_url = safe_next(pending.get("next"))

    if request.method == "GET":
        response = render(
            request,
            "accounts/link_confirm.html",
            {
                "account": user,
                "provider_label": provider.title(),
                "provider_email": pending.get("email") or "",
                "provider_name": pending.get("name") or "",
                "pending_id": pending["id"],
            },
        )
        response["Referrer-Policy"] = "no-referrer"
        return response

    request.session.pop(_SESSION_LINK_PENDING, None)
    if not hmac.compare_digest(str(request.POST.get("pending", "")), str(pending["id"])):
        return _fail(provider, "link_invalid", next_url)
    if request.POST.get("action") != "link":
        logger.info("Linking %s to user %s cancelled", provider, user.pk)
        return _redirect_with_fragment(next_url, {"error": "link_cancelled"})
    try:
        services.social_account_link(
            user=user,
            provider=pending["backend"],
            uid=pending["uid"],
            id_key=pending.get("id_key") or "",
            extra_data=pending.get("extra_data") or {},
        )
    except Conflict:
        return _fail(provider, "identity_in_use", next_url)
    logger.info("Linked %s to user %s", provider, user.pk)
    return _redirect_with_fragment(next_url, {"linked": provider})


# --- views ----------------------------------------------------------------------------


@never_cache
@require_GET
def login(request: HttpRequest, provider: str) -> HttpResponse:
    """302 to the provider's consent screen.

    `?next=` is where the SPA wants to land afterwards (front-end origins only);
    `?link=<ticket from POST /auth/link>` starts linking this provider to the signed-in user
    who asked for the ticket, in this same browser, instead of signing in.
    """
    if provider not in PROVIDERS:
        return _unknown_provider()
    next_url = safe_next(request.GET.get("next"))
    if provider not in configured_providers():
        return _fail(provider, "provider_not_configured", next_url)

    session = request.session
    session.pop(_SESSION_NEXT, None)
    session.pop(_SESSION_LINK, None)
    if next_url:
        session[_SESSION_NEXT] = next_url
    ticket = request.GET.get("link")
    link_request = session.pop(_SESSION_LINK_REQUEST, None)
    if ticket is not None:
        user = _link_request_user(link_request, ticket=ticket, provider=provider)
        if user is None:
            return _fail(provider, "link_invalid", next_url)
        session[_SESSION_LINK] = str(user.pk)

    try:
        return do_auth(_backend(request, provider), redirect_name=_SOCIAL_REDIRECT_NAME)
    except SocialAuthBaseException as exc:
        logger.warning("OAuth start with %s failed: %s (%s)", provider, type(exc).__name__, exc.code)
        return _fail(provider, "provider_error", next_url)


@never_cache
@require_GET
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """Where the provider sends the browser back: sign in, then 302 to the SPA."""
    if provider not in PROVIDERS:
        return _unknown_provider()
    # Both values are single-use: whatever happens below, a later callback starts clean.
    next_url = safe_next(request.session.pop(_SESSION_NEXT, None))
    link_user_id = request.session.pop(_SESSION_LINK, None)
    if provider not in configured_providers():
        return _fail(provider, "provider_not_configured", next_url)

    try:
        backend = _backend(request, provider)
        user = backend.complete(link_user_id=link_user_id, link_next=next_url)
    except SocialAuthBaseException as exc:
        code = error_code_for(exc)
        logger.info(
            "OAuth callback from %s refused: %s (%s, stage %s, status %s)",
            provider,
            code,
            type(exc).__name__,
            getattr(exc, "stage", "?"),
            getattr(exc, "status_code", None),
        )
        return _redirect_with_fragment(next_url, {"error": code})
    except (requests.ConnectionError, requests.Timeout):
        # social-auth wraps its own requests; this covers any call it leaves bare.
        return _fail(provider, "provider_unreachable", next_url)
    except Exception:
        # Never a 500 on a browser navigation; the traceback goes to the log (filtered for
        # tokens), the person gets a message and can try again.
        logger.exception("OAuth callback from %s crashed", provider)
        return _fail(provider, "server_error", next_url)

    if isinstance(user, HttpResponse):  # a link waiting for the person's confirmation
        return user
    if not isinstance(user, services.User):
        return _fail(provider, "auth_failed", next_url)
    if not user.is_active:
        return _fail(provider, "account_disabled", next_url)
    if link_user_id:  # the provider account was already linked to this user: nothing to ask
        return _redirect_with_fragment(next_url, {"linked": provider})
    logger.info("OAuth sign-in with %s: user %s", provider, user.pk)
    return _redirect_with_fragment(next_url, services.tokens_issue(user=user))


def error_code_for(exc: SocialAuthBaseException) -> str:
    """Maps a social-auth failure to the code the SPA understands."""
    if isinstance(exc, OAuthError):
        return exc.error_code
    if isinstance(exc, AuthCanceled):
        return "access_denied"
    if isinstance(exc, AuthInputError) and exc.parameter == "state":
        return "state_missing"
    if isinstance(exc, AuthSessionError):
        # A state we never issued, already used, expired, or from a lost session.
        return "state_mismatch"
    if isinstance(exc, AuthProviderError):
        return "provider_unreachable" if exc.code in _TRANSPORT_FAILURES else "provider_error"
    if isinstance(exc, AuthResponseError):
        return "email_unverified" if exc.claim == "email_verified" else "provider_error"
    if isinstance(exc, AuthAssociationError) and exc.code in ("email_in_use", "identity_in_use"):
        return exc.code
    if isinstance(exc, (AuthCredentialError, AuthConfigurationError)):
        # A rejected code or client: nothing the person can fix but to try again later.
        return "provider_error"
    return "auth_failed"


# --- pipeline steps (settings.SOCIAL_AUTH_PIPELINE) --------------------------------------


def _email_verified(backend, response) -> bool:
    claim = _VERIFIED_EMAIL_CLAIM.get(backend.name)
    return bool(claim) and (response or {}).get(claim) is True


def _ensure_active(backend, user) -> None:
    if user is not None and not user.is_active:
        raise OAuthError(backend, "account_disabled")


def link_current_user(backend, user=None, link_user_id=None, link_next=None, *args, **kwargs):
    """A link flow (`?link=<ticket>` on login) stops here and asks before linking anything.

    Runs after `social_user`: if this provider account already belongs to someone else,
    linking it would move another person's login, so that is refused; if it already belongs
    to the person asking, the pipeline goes on (fresh provider tokens), nothing to confirm.
    Otherwise the provider account waits in the session and the browser goes to
    `/auth/link/confirm`, which names both accounts.
    """
    _ensure_active(backend, user)
    if not link_user_id:
        return None
    current = services.User.objects.filter(pk=link_user_id).first()
    if current is None:
        raise OAuthError(backend, "link_invalid")
    _ensure_active(backend, current)
    if user is not None:
        if user.pk != current.pk:
            raise OAuthError(backend, "identity_in_use")
        return {"user": current, "is_new": False}
    uid, details, response = kwargs["uid"], kwargs.get("details") or {}, kwargs.get("response") or {}
    backend.strategy.session_set(
        _SESSION_LINK_PENDING,
        {
            "id": secrets.token_urlsafe(16),
            "user_id": str(current.pk),
            "provider": _PROVIDER_BY_BACKEND[backend.name],
            "backend": backend.name,
            "uid": str(uid),
            "id_key": kwargs.get("id_key") or "",
            "email": (details.get("email") or "").strip(),
            "name": (details.get("fullname") or details.get("username") or "").strip(),
            # The provider's tokens (Spotify's are used later), kept until the answer.
            "extra_data": backend.extra_data(current, uid, response, details, kwargs),
            "next": link_next,
            "expires": time.time() + _LINK_PENDING_TTL,
        },
    )
    return HttpResponseRedirect(reverse("oauth-link-confirm"))


def associate_by_verified_email(backend, details, response=None, user=None, *args, **kwargs):
    """Same verified e-mail = same person; an unverified one never reaches an account."""
    if user is not None:
        return None
    email = (details.get("email") or "").strip()
    if not email:
        raise OAuthError(backend, "email_missing")
    existing = services.User.objects.filter(email__iexact=email).first()
    if existing is None:
        return None
    if not _email_verified(backend, response):
        # Anyone can type any address into some providers; the owner should sign in the
        # way they usually do and link this provider from their profile.
        raise OAuthError(backend, "email_in_use")
    _ensure_active(backend, existing)
    if not existing.email_verified:
        # Closes pre-registration takeover: an account made with this address unverified
        # (say, through Spotify) must not become a door into the real owner's login.
        existing = services.user_claim_verified_email(user=existing)
    return {"user": existing, "is_new": False}


def create_user(backend, details, user=None, *args, **kwargs):
    if user is not None:
        return {"is_new": False}
    try:
        new_user = services.user_create(
            email=details["email"].strip(),
            username=details.get("username") or None,
            display_name=(details.get("fullname") or "").strip(),
            email_verified=_email_verified(backend, kwargs.get("response")),
        )
    except IntegrityError as exc:  # the same e-mail signed up between our read and write
        raise OAuthError(backend, "email_in_use") from exc
    except ValidationError as exc:
        raise OAuthError(backend, "email_invalid") from exc
    return {"user": new_user, "is_new": True}


def update_profile(backend, details, user=None, *args, **kwargs):
    """Fills what the person has not chosen yet; never overwrites their own choices."""
    if user is None or user.display_name:
        return None
    name = (details.get("fullname") or "").strip()[:64]
    if name:
        services.user_update(user=user, data={"display_name": name})
    return None
