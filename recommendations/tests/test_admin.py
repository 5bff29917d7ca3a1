import pytest

from recommendations import services

pytestmark = pytest.mark.django_db


def test_moderators_can_read_the_recompute_runs(admin_client, catalog):
    build = services.recommendations_recompute()
    listing = admin_client.get("/admin/recommendations/modelbuild/")
    assert listing.status_code == 200
    page = admin_client.get(f"/admin/recommendations/modelbuild/{build.pk}/change/")
    assert page.status_code == 200
    assert b"Done" in page.content
    assert admin_client.get("/admin/recommendations/modelbuild/add/").status_code == 403
