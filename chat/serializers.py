from rest_framework import serializers

from accounts.serializers import UserBriefSerializer
from chat import services
from chat.models import Message


class MessageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=services.MAX_TEXT,
        trim_whitespace=False,
        error_messages={"blank": services.EMPTY_TEXT, "max_length": services.LONG_TEXT},
    )
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)


class MessageResponseSerializer(serializers.ModelSerializer):
    room_id = serializers.UUIDField(read_only=True)
    user = UserBriefSerializer()

    class Meta:
        model = Message
        fields = ["id", "room_id", "user", "text", "created_at", "client_msg_id"]
