"""What the store interface takes and gives besides records: a Transition and its parts, and the
shapes of the reads that decide (dispatch's, intake's, a timer batch's, a contact with its offers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from router.models import Contact, Event, Offer, Presence, Responder
from router.timer_models import Timer


class Conflict(Exception):
    """A guard of a transition did not hold; nothing was written. Re-read and decide again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StoreUnavailable(Exception):
    """The store cannot be reached."""


# The store's locks: the jobs' leader, and the ledger writer's (router/keys.py).
Lock = Literal["jobs", "ledger"]


@dataclass(frozen=True)
class DispatchState:
    """Everything a dispatch pass reads besides the queue, read in one round trip."""

    responders: dict[str, Responder]
    presence: dict[str, Presence]
    loads: dict[tuple[str, str], int]
    idle: dict[str, datetime]
    roster_head: int
    # Changes whenever responders, presence, loads or idle times do: a reader holding this
    # version may keep its copy (never mutate it: it is shared by every pass that reuses it).
    version: str = ""
    # time.monotonic() when the store was last read whole for it (kept by a state carried
    # forward or found unchanged): how old the reader's copy really is.
    read_at: float = 0.0


class DispatchView(NamedTuple):
    """A dispatch pass's one read: the state (the caller's own copy when nothing in it changed),
    how many contacts wait in the ready queue and, when asked, the first of them in serving order.
    Tuples (this and ContactView): several are made per contact, and a frozen dataclass's
    field-by-field __init__ cost twice as much."""

    state: DispatchState
    queued: int
    queue: list[Contact] | None


class ContactView(NamedTuple):
    """A contact with its offers as of its revision (None: not read, ask for them), and the
    offer it was found by — one read for accept, decline and every change that needs offers."""

    contact: Contact | None
    offers: list[Offer] | None
    offer: Offer | None = None


@dataclass(frozen=True)
class IntakeState:
    """What intake reads before it decides, in one round trip: the person's earlier arrivals
    (under every listed key, oldest first), a fresh sequence number and the roster head; when
    asked, the dispatch state and the ready queue's length (to offer in the same write)."""

    arrivals: list[datetime]
    seq: int
    roster_head: int
    dispatch: DispatchState | None = None
    queued: int = 0


@dataclass(frozen=True)
class TimerBatch:
    """A claim of due timers with what deciding them needs, read in the same call: the records
    of the contacts they concern, the earliest timer left (the loop's next wake) and the roster
    head; and, when `claim_and_apply` was asked for it, what a dispatch pass reads, read after
    its writes."""

    timers: list[Timer]
    contacts: dict[str, Contact]
    next_due: datetime | None
    roster_head: int
    view: DispatchView | None = None


@dataclass(frozen=True)
class Tail:
    """What one blocking read of the stream found: the last position read (None: nothing new),
    how many events it read, and those of them the reader wanted."""

    position: str | None
    read: int
    events: list[tuple[str, Event]]


@dataclass(frozen=True)
class StreamInfo:
    """How much of the event stream Redis still holds: its length and first and last positions."""

    length: int
    first_id: str | None
    last_id: str | None


@dataclass(frozen=True)
class LoadChange:
    """Add `delta` to what a responder holds on a channel; a rise must stay within `capacity`."""

    responder: str
    channel: str
    delta: int
    capacity: int = 0


@dataclass(slots=True)
class Transition:
    """One state change of one contact, applied all at once or not at all.

    Guards: the contact's stored revision equals `expect_rev` (None: the contact must
    not exist yet); every rising `LoadChange` stays within its capacity; every
    responder in `require_available` is available. Then: the contact is written with
    rev + 1, enqueued or dequeued, offers written, loads changed, idle times set,
    timers armed and disarmed, events appended.
    """

    contact: Contact
    expect_rev: int | None
    enqueue_score: float | None = None
    dequeue: bool = False
    offers: list[Offer] = field(default_factory=list)
    loads: list[LoadChange] = field(default_factory=list)
    require_available: list[str] = field(default_factory=list)
    idle: dict[str, datetime] = field(default_factory=dict)
    arm: list[Timer] = field(default_factory=list)
    disarm: list[str] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # (sender key, arrival, forget before): remember this arrival for repeat-contact triage.
    arrival: tuple[str, datetime, datetime] | None = None
    # Guard: the ready queue is empty (intake offering a new contact at once jumps nobody).
    queue_empty: bool = False
    # Intake in one round trip (router/receiving.py) writes what it guessed instead of reading
    # it first, guarded on each guess: the newest roster is still `expect_head`; the responders'
    # records (languages, skills, capacity) are still those its offer was chosen by, at
    # `expect_responders` (the version's second part; loads and presence are guarded as for any
    # offer, and idle times held a moment old only order who is offered first, as a read one
    # round trip before its write always could); nobody under these sender keys arrived at or
    # after that time (no repeat rule or flood limit applies).
    expect_head: int | None = None
    expect_responders: str | None = None
    first_since: tuple[list[str], datetime] | None = None
    # A timer fired on what this process wrote rather than on a claim's read (router/timers.py):
    # the timer `expect_due[0]` is still armed, and due by `expect_due[1]` (nobody has claimed
    # it: a claim pushes its due time to the lease's end) or claimed by the claim sent just
    # before in the same round trip, whose lease ends at `expect_due[2]`.
    expect_due: tuple[str, datetime, datetime] | None = None
    # The store numbers the new contact in the write, from the counter intake otherwise reads:
    # its `seq` (built as SEQ_TO_ASSIGN) and its queue score (`score_base` plus that number).
    assign_seq: bool = False

    def score_base(self) -> float | None:
        """The queue score less the contact's sequence number, to which the store adds the one
        it assigns."""
        return None if self.enqueue_score is None else self.enqueue_score - self.contact.seq

    def check_numbered(self) -> None:
        """Refuse to write a contact still waiting for its sequence number without asking for one."""
        if self.contact.seq == SEQ_TO_ASSIGN and not self.assign_seq:
            raise ValueError(f"contact {self.contact.id}: written unnumbered without assign_seq")


# A contact's sequence number before the store assigns it (Transition.assign_seq).
SEQ_TO_ASSIGN = -1
