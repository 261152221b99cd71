from __future__ import annotations

from footfall.engine import Engine, EngineConfig
from footfall.engine.state import VisitorState
from footfall.testing import BASE_TIME, Driver, at, chat, page_view, rule, rules_of

IGNORED = rule("on-ignored", event="live_chat_invitation_ignored")
ACCEPTED = rule("on-accepted", event="live_chat_accepted")
MESSAGE = rule(
    "on-message",
    event="live_chat_message",
    when={"sent_message": {"contains_words": ["price"]}},
)


def drive(timeout: float = 120) -> Driver:
    rules = rules_of(IGNORED, ACCEPTED, MESSAGE)
    return Driver(Engine(rules, EngineConfig(invitation_timeout=timeout)))


def test_invitation_times_out_once_and_later_answer_is_ignored() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_invited", "v1", at(10), invitation_id="i1"))
    assert d.states["v1"].chat_status == "invited"
    assert d.tick(at(129)) == []
    fired = d.tick(at(130))
    assert [c.rule.id for c in fired] == ["on-ignored"]
    assert fired[0].trigger.event_id == f"timeout:i1@{round((BASE_TIME + 10) * 1000)}"
    assert fired[0].trigger.time == at(130)
    assert d.tick(at(160)) == []
    assert d.send(chat("chat_invitation_accepted", "v1", at(170), invitation_id="i1")) == []
    s = d.states["v1"]
    assert s.invites_sent == 1 and s.invites_ignored == 1 and s.invites_accepted == 0
    assert [e.type for e in d.synthesised] == ["chat_invitation_ignored"]


def test_timeout_zero_turns_it_off() -> None:
    d = drive(timeout=0)
    d.send(page_view("v1", at(0)), chat("chat_invited", "v1", at(10), invitation_id="i1"))
    assert d.tick(at(10_000)) == []
    assert d.states["v1"].pending


def test_due_timeout_is_applied_before_a_later_event() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_invited", "v1", at(10), invitation_id="i1"))
    fired = d.send(chat("chat_invitation_accepted", "v1", at(500), invitation_id="i1"))
    assert [c.rule.id for c in fired] == ["on-ignored"]
    assert d.states["v1"].invites_accepted == 0


def test_answer_in_time_counts_and_fires() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_invited", "v1", at(10), invitation_id="i1"))
    fired = d.send(chat("chat_invitation_accepted", "v1", at(20), invitation_id="i1"))
    assert [c.rule.id for c in fired] == ["on-accepted"]
    s = d.states["v1"]
    assert s.chat_status == "chatting" and s.invites_accepted == 1 and not s.pending
    assert s.first_chat_at == s.last_chat_at is not None
    assert d.tick(at(1000)) == []


def test_message_rule_sees_the_message_text() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_started", "v1", at(1), chat_id="c1"))
    assert d.send(chat("chat_message", "v1", at(2), sender="visitor", text="hello")) == []
    fired = d.send(chat("chat_message", "v1", at(3), sender="visitor", text="the price?"))
    assert [c.rule.id for c in fired] == ["on-message"]
    assert fired[0].facts["sent_message"] == "the price?"
    assert d.states["v1"].transcript == "hello\nthe price?"


def test_chat_status_flow() -> None:
    d = drive()
    d.send(page_view("v1", at(0)))
    assert d.states["v1"].chat_status == "none"
    d.send(chat("chat_invited", "v1", at(1), invitation_id="i1", agent="alice"))
    assert d.states["v1"].chat_status == "invited" and d.states["v1"].agent == "alice"
    d.send(chat("chat_invitation_rejected", "v1", at(2), invitation_id="i1"))
    assert d.states["v1"].chat_status == "none"
    d.send(chat("chat_started", "v1", at(3), chat_id="c1", agent="bob"))
    assert d.states["v1"].chat_status == "chatting" and d.states["v1"].agent == "bob"
    d.send(chat("chat_ended", "v1", at(4), chat_id="c1"))
    assert d.states["v1"].chat_status == "ended"


def test_pending_invitations_of_a_visitor_who_left_still_time_out() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_invited", "v1", at(10), invitation_id="i1"))
    d.send(chat("chat_invitation_rejected", "v1", at(11), invitation_id="other"))
    from footfall.testing import event

    d.send(event("session_end", "v1", at(20)))
    fired = d.tick(at(200))
    assert [c.rule.id for c in fired] == ["on-ignored"]
    assert not d.states["v1"].online


def test_chat_status_follows_the_chat_events_order_not_the_page_views() -> None:
    # chat events come on a topic of their own: a page view can be read before an
    # older chat_ended, which must still end the chat
    d = drive()
    d.send(
        page_view("v1", at(0)),
        chat("chat_started", "v1", at(10), chat_id="c1"),
        page_view("v1", at(30)),
        chat("chat_ended", "v1", at(20), chat_id="c1"),
    )
    assert d.states["v1"].chat_status == "ended"
    # an older chat event read after a newer one changes no status
    d.send(chat("chat_message", "v1", at(15), chat_id="c1", sender="agent", text="hello"))
    assert d.states["v1"].chat_status == "ended"


def test_a_state_from_before_the_chat_clock_loads_and_follows_it() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_started", "v1", at(10), chat_id="c1"))
    stored = d.states["v1"].to_dict()
    stored.pop("chat_at")
    old = VisitorState.from_dict(stored)
    assert old.chat_at is None and old.chat_status == "chatting"


def test_an_answer_given_in_time_counts_when_it_arrives_after_the_timeout() -> None:
    # after a broker outage the answer reaches footfall after the tick that timed the
    # invitation out; it was given before the deadline, so it counts and fires
    d = drive()
    d.send(page_view("v1", at(0)), chat("chat_invited", "v1", at(10), invitation_id="i1"))
    assert [c.rule.id for c in d.tick(at(130))] == ["on-ignored"]
    fired = d.send(chat("chat_invitation_accepted", "v1", at(12), invitation_id="i1"))
    assert [c.rule.id for c in fired] == ["on-accepted"]
    assert d.states["v1"].invites_accepted == 1
    # once: a repeat of the answer (another event id) changes nothing
    again = chat("chat_invitation_accepted", "v1", at(13), invitation_id="i1")
    assert d.send(again) == []
    assert d.states["v1"].invites_accepted == 1
    assert VisitorState.from_dict(d.states["v1"].to_dict()).timed_out == {}


def test_timed_out_invitations_are_remembered_in_the_state_bounded() -> None:
    d = drive()
    d.send(page_view("v1", at(0)))
    for n in range(12):
        d.send(chat("chat_invited", "v1", at(1 + n), invitation_id=f"i{n}"))
    d.tick(at(200))
    kept = VisitorState.from_bytes(d.states["v1"].to_bytes()).timed_out
    assert list(kept) == [f"i{n}" for n in range(4, 12)]
    assert kept["i11"] == BASE_TIME + 12 + 120
