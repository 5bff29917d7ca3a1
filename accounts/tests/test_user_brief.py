"""The UserBrief payload is built straight from the row (accounts.serializers.user_brief); the
serializer that documents it (OpenAPI) must name exactly its fields."""

import pytest

from accounts.serializers import UserBriefSerializer
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_brief_has_exactly_the_serializers_fields_and_values():
    user = UserFactory(username="ana", display_name="Ana P.")
    brief = UserBriefSerializer(user).data
    assert set(brief) == set(UserBriefSerializer().fields)
    assert brief == {"id": str(user.pk), "username": "ana", "display_name": "Ana P.", "avatar_url": None}
    assert UserBriefSerializer([user], many=True).data == [brief]
