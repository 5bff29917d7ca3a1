"""The backup's serialization format: Django's JSON fixtures, with times to the microsecond.

Django's JSON encoder cuts datetimes and times to milliseconds, so a restored chat message
would not carry the time it was sent: messages a millisecond apart could swap places and cursors
built on `created_at` would no longer match. This format writes full ISO 8601 times; the file is
still plain JSON fixtures, which `loaddata` reads with Django's own deserializer.
tunewave/tests/test_backup.py compares the restored chat history's times to the microsecond, so
a Django release that changes this hook fails there.
"""

import datetime
from typing import Any

from django.core.serializers import json as django_json
from django.core.serializers.json import DjangoJSONEncoder

FORMAT = "tunewave_backup_json"


class PreciseEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class Serializer(django_json.Serializer):
    def start_serialization(self) -> None:
        super().start_serialization()
        self.json_kwargs["cls"] = PreciseEncoder


Deserializer = django_json.Deserializer
