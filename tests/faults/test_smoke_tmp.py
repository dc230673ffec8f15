from tests.faults.harness import assert_clean


def test_one_candidate(server, make_sitting):
    sitting = make_sitting(server)
    [alice] = sitting.begin()
    r = alice.save_until_acked([alice.next_save(0, "a")])
    assert r.status_code == 200, r.text
    r = alice.submit([alice.next_save(1, "b")])
    assert r.status_code == 200 and r.json()["state"] == "submitted", r.text
    assert_clean(alice)
