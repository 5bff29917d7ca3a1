"""Live rooms and listeners for `/metrics`, read from presence at scrape time (core/metrics.py).

Presence is shared by every server process (Redis), so the one process that is scraped reports
it once. One reading per scrape: `presence.live_rooms()`, a pipelined round trip over the rooms
that are live now (never over every room or user in the database).
"""

from prometheus_client.core import GaugeMetricFamily

from rooms import presence


class PresenceCollector:
    def _families(self) -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily("tunewave_rooms_live", "Rooms with at least one listener online (read at scrape time)."),
            GaugeMetricFamily(
                "tunewave_listeners_online",
                "Listeners online, summed over live rooms: a person in two rooms counts twice, two tabs "
                "in one room once (read at scrape time).",
            ),
        )

    def describe(self):
        return self._families()

    def collect(self):
        rooms, listeners = self._families()
        counts = presence.live_rooms()  # {} while Redis is down: reads as 0
        rooms.add_metric([], len(counts))
        listeners.add_metric([], sum(counts.values()))
        return [rooms, listeners]
