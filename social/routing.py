from django.urls import re_path

from social.consumers import NotificationConsumer

# Channels routes ASGI apps through Django's URL patterns (its documented routing);
# django-stubs types re_path for HTTP views only, hence the ignore.
websocket_urlpatterns = [re_path(r"^ws/notifications/?$", NotificationConsumer.as_asgi())]  # type: ignore[arg-type]
