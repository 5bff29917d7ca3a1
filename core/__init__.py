"""The shared base every app may import: the domain errors and their REST and socket mappings,
frame parsing, rate limits, pagination and parsers, the API schema helpers, the Redis guard,
SQL helpers and time helpers. It imports no app (tunewave/tests/test_app_layers.py); the project
wiring on top (settings, URLs, ASGI, socket routing, the Celery app) lives in tunewave/."""
