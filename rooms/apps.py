from django.apps import AppConfig

from core import metrics


class RoomsConfig(AppConfig):
    name = "rooms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registrations at start-up (docs/architecture.md, "Registering implementations across
        # layers"): music asks who belongs to which rooms (uploads shared there), and tells rooms
        # when a track is deleted (an upload: queues drop it, rooms playing it skip it).
        from core import realtime  # noqa: PLC0415 - idem
        from music import hooks  # noqa: PLC0415 - runs once the apps are loaded
        from rooms import access, presence, room_view, selectors, services  # noqa: PLC0415 - idem
        from rooms.metrics import PresenceCollector  # noqa: PLC0415 - idem

        hooks.register_member_room_ids(selectors.member_room_ids)
        hooks.register_track_withdrawn(services.track_withdraw)
        access.admission_watch()  # changes that forget remembered socket admissions
        realtime.add_send_hook(room_view.on_group_send)  # broadcasts that renew joins' room views
        presence.brief_watch()  # a user saved: this process's presence pages show it at once
        metrics.register_scrape_collector(PresenceCollector())  # live rooms and listeners on /metrics
