from tests.conftest import init_and_load


def test_seed_loads(db_url):
    s = init_and_load(db_url)
    assert s.deliverables.created == 64
