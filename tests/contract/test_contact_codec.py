"""The contact record's codec (router/store/records.py): a record read again unchanged is the one
already decoded, a changed one is decoded afresh, and forgetting a contact leaves nothing of it
(its personal part included) in the process."""

from __future__ import annotations

from router.store.records import ContactCodec
from router.store.sealing import Sealer
from tests.contract.test_store_contract import contact


def test_a_record_read_again_unchanged_is_decoded_once_and_forgotten_with_its_contact() -> None:
    codec = ContactCodec(Sealer(["a-key-for-this-test"]))
    c = contact("a")
    raw = codec.encode(c)
    first = codec.decode("a", raw)
    assert first == c and codec.decode("a", raw) is first
    changed = c.model_copy(update={"rev": 2, "notes": "called back"})
    second = codec.decode("a", codec.encode(changed))
    assert second is not first and (second.rev, second.notes) == (2, "called back")
    older = codec.decode("a", raw)  # an older text is decoded, never taken for the newer one
    assert older.rev == c.rev and older.notes is None
    codec.forget("a")
    assert "a" not in codec._decoded and "a" not in codec._known  # no personal part kept
    assert codec.decode("a", raw) == c  # and it still opens from the store's text
