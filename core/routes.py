"""URL helpers: every API path answers with and without its trailing slash."""

from django.urls import path


def route(pattern: str, view, name: str | None = None) -> list:
    """Returns the two `path()`s for `pattern` (given without a trailing slash).

    No redirect: a POST to either form reaches the view with its body intact.
    """
    bare = pattern.rstrip("/")
    return [path(bare, view, name=name), path(f"{bare}/", view)]


def drop_slash_duplicates(endpoints):
    """drf-spectacular hook: show each endpoint once in the schema.

    The documented spelling wins: `/rooms/` and `/track/` keep their slash, the rest don't.
    """
    paths = {p for p, *_ in endpoints}
    kept = []
    for path_, path_regex, method, callback in endpoints:
        if path_.endswith("/") and path_.rstrip("/") in paths and path_.rstrip("/").count("/") > 1:
            continue
        if not path_.endswith("/") and f"{path_}/" in paths and path_.count("/") == 1:
            continue
        kept.append((path_, path_regex, method, callback))
    return kept
