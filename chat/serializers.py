from rest_framework import serializers

from accounts.serializers import UserBriefSerializer
from chat.models import Message


class MessageCreateSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=1, max_length=2000, trim_whitespace=False)
    client_msg_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)


class MessageResponseSerializer(serializers.ModelSerializer):
    room_id = serializers.UUIDField(read_only=True)
    user = UserBriefSerializer()

    class Meta:
        model = Message
        fields = ["id", "room_id", "user", "text", "created_at", "client_msg_id"]
