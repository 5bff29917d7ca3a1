import csv
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def write_interactions(path, *, users=60, seed=0):
    """Three taste clusters of 30 tracks; each user plays 12 tracks of their cluster, some a hit too."""
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user", "track_id", "track_name", "artists", "genres", "plays", "last_played_at"])
        for user in range(users):
            cluster = user % 3
            genre = ("jazz", "metal", "folk")[cluster]
            tracks = rng.sample(range(cluster * 30, cluster * 30 + 30), 12)
            if rng.random() < 0.3:
                tracks.append(rng.randrange(90, 95))
            for track in tracks:
                artist = f"Artist {track // 5}"
                writer.writerow(
                    [f"user{user}@example.com", "", f"Track {track}", artist, genre if track < 90 else "pop",
                     rng.randint(1, 9), f"2025-0{1 + track % 9}-1{track % 10}T10:00:00Z"]
                )  # fmt: skip


def test_it_prints_the_three_systems(tmp_path):
    path = tmp_path / "plays.csv"
    write_interactions(path)
    out = StringIO()
    call_command("evaluate_recommendations", "--interactions", str(path), "--k", "5", "--seed", "1", stdout=out)
    text = out.getvalue()
    assert "60 users, " in text
    assert "testing 60 users" in text
    for system in ("popularity", "item cosine", "RP3beta", "EASE", "ALS", "TuneWave", "TuneWave tuned"):
        assert system in text
    assert "Self-tuning on the training part" in text and "Chosen: " in text
    # The blends are tried on the best item model, as the precompute does.
    assert "light content" in text and "cf only" in text
    assert "Recall@5" in text and "NDCG@5" in text and "coverage" in text
    lines = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith(("popularity", "TuneWave"))}
    # Clustered tastes: the learned model beats "most popular" by far.
    assert float(lines["TuneWave"][2]) > 2 * float(lines["popularity"][2])


def test_the_same_seed_gives_the_same_figures(tmp_path):
    path = tmp_path / "plays.csv"
    write_interactions(path)
    runs = []
    for _ in range(2):
        out = StringIO()
        call_command("evaluate_recommendations", "--interactions", str(path), "--seed", "3", stdout=out)
        runs.append(
            [line.split()[:4] for line in out.getvalue().splitlines() if line.startswith(("pop", "item", "Tune"))]
        )
    assert runs[0] == runs[1]


def test_it_refuses_a_missing_file_or_a_bad_header(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate_recommendations", "--interactions", str(tmp_path / "nope.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(CommandError, match="first line"):
        call_command("evaluate_recommendations", "--interactions", str(bad), stdout=StringIO())


def test_it_skips_ease_on_a_catalogue_past_its_limit(tmp_path):
    path = tmp_path / "plays.csv"
    write_interactions(path)
    out = StringIO()
    call_command("evaluate_recommendations", "--interactions", str(path), "--ease-max-items", "10", stdout=out)
    assert "EASE skipped: 95 items is more than --ease-max-items." in out.getvalue()
