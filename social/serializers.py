from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserBriefSerializer
from social.models import Friendship, Notification


class FriendRequestSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()


class FriendshipSerializer(serializers.ModelSerializer):
    from_user = UserBriefSerializer()
    to_user = UserBriefSerializer()
    friend = serializers.SerializerMethodField()

    class Meta:
        model = Friendship
        fields = ["id", "from_user", "to_user", "status", "created_at", "friend"]

    @extend_schema_field(UserBriefSerializer)
    def get_friend(self, friendship):
        """The other person, seen from the caller."""
        request = self.context.get("request")
        if request is None:
            return None
        return UserBriefSerializer(friendship.other(request.user), context=self.context).data


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "data", "is_read", "created_at"]
        extra_kwargs = {
            "data": {
                "help_text": "Ids the notification is about (`friendship_id`, `room_id`, …). A `friend_request` "
                "that is no longer pending has `status`: accepted, declined or withdrawn (and is read)."
            }
        }
