from __future__ import annotations

from footfall.engine import Engine, EngineConfig, VisitorState
from footfall.testing import BASE_TIME, Driver, at, chat, event, page_view, rule, rules_of

RULES = rules_of(rule("always"))


def drive(**config: float) -> Driver:
    return Driver(Engine(RULES, EngineConfig(**config)))


def test_first_event_starts_a_session_and_counts_hits() -> None:
    d = drive()
    d.send(page_view("v1", at(0), "https://e.com/a", title="A", referrer="https://r/"))
    d.send(page_view("v1", at(10), "https://e.com/b", title="B", virtual_page="/b"))
    s = d.state("v1")
    assert s is not None and s.online
    assert s.hits == 2 and s.visits == 1 and s.started_at == BASE_TIME
    assert (s.initial_page, s.initial_page_title, s.initial_referrer) == (
        "https://e.com/a",
        "A",
        "https://r/",
    )
    assert (s.current_page, s.current_page_title, s.current_virtual_page) == (
        "https://e.com/b",
        "B",
        "/b",
    )


def test_new_session_id_starts_a_new_session() -> None:
    d = drive()
    d.send(page_view("v1", at(0), session_id="s1"), page_view("v1", at(5), session_id="s1"))
    d.send(page_view("v1", at(10), "https://e.com/x", session_id="s2"))
    s = d.state("v1")
    assert s is not None
    assert s.hits == 1 and s.visits == 2 and s.session_id == "s2"
    assert s.initial_page == "https://e.com/x" and s.started_at == BASE_TIME + 10


def test_idle_timeout_on_tick_takes_visitor_offline_without_rule_event() -> None:
    d = drive(idle_timeout=60)
    d.send(page_view("v1", at(0)))
    assert d.tick(at(59)) == []
    s = d.state("v1")
    assert s is not None and s.online
    assert d.tick(at(60)) == []
    s = d.state("v1")
    assert s is not None and not s.online and s.visits == 1
    d.send(page_view("v1", at(70)))
    s = d.state("v1")
    assert s is not None and s.online and s.visits == 2 and s.hits == 1


def test_idle_session_is_renewed_by_a_late_event_even_without_a_tick() -> None:
    d = drive(idle_timeout=60)
    d.send(page_view("v1", at(0)), page_view("v1", at(100)))
    s = d.state("v1")
    assert s is not None and s.visits == 2 and s.hits == 1


def test_visitor_chat_message_keeps_visitor_active_but_agent_message_does_not() -> None:
    d = drive(idle_timeout=60)
    d.send(page_view("v1", at(0)))
    d.send(chat("chat_message", "v1", at(50), sender="agent", text="hi"))
    d.tick(at(61))
    assert not d.states["v1"].online
    d.send(page_view("v2", at(0)))
    d.send(chat("chat_message", "v2", at(50), sender="visitor", text="hi"))
    d.tick(at(61), "v2")
    assert d.states["v2"].online


def test_session_end_leaves_at_once_and_fires_nothing() -> None:
    d = drive()
    assert len(d.send(page_view("v1", at(0)))) == 1
    assert d.send(event("session_end", "v1", at(5))) == []
    s = d.state("v1")
    assert s is not None and not s.online and s.visits == 1
    assert d.send(event("session_end", "nobody", at(5))) == []
    assert d.state("nobody") is None


def test_out_of_order_event_counts_but_moves_no_clock_back() -> None:
    d = drive()
    d.send(page_view("v1", at(100), "https://e.com/new", country="DE"))
    d.send(page_view("v1", at(50), "https://e.com/old", country="FR", language="fr"))
    s = d.state("v1")
    assert s is not None
    assert s.hits == 2
    assert s.latest == BASE_TIME + 100 and s.last_activity == BASE_TIME + 100
    assert s.current_page == "https://e.com/new"
    assert s.country == "DE"  # newer value kept
    assert s.language == "fr"  # absent value filled in


def test_duplicate_event_ids_are_ignored() -> None:
    d = drive()
    first = d.send(page_view("v1", at(0), event_id="e1"))
    again = d.send(page_view("v1", at(1), event_id="e1"))
    assert len(first) == 1 and again == []
    assert d.states["v1"].hits == 1


def test_dedupe_memory_is_bounded() -> None:
    from footfall.engine.state import RECENT_IDS

    d = drive()
    for i in range(RECENT_IDS + 10):
        d.send(page_view("v1", at(i), event_id=f"e{i}"))
    assert d.states["v1"].recent_count == RECENT_IDS
    # the oldest ids were forgotten: a very late redelivery counts again
    assert len(d.send(page_view("v1", at(999), event_id="e0"))) == 1


def test_identity_and_environment_persist_across_sessions() -> None:
    d = drive(idle_timeout=60)
    d.send(
        page_view(
            "v1",
            at(0),
            country="DE",
            host_name="www.shop.example.co.uk",
            customer={"name": "Ann", "email": "a@e.com"},
        )
    )
    d.tick(at(100))
    d.send(page_view("v1", at(200)))
    s = d.state("v1")
    assert s is not None
    assert s.country == "DE" and s.customer_name == "Ann" and s.customer_email == "a@e.com"
    assert s.host_domain == "example.co.uk"


def test_state_round_trips_through_dict_and_bytes() -> None:
    d = drive()
    d.send(page_view("v1", at(0), customer={"name": "A"}), chat("chat_invited", "v1", at(1)))
    s = d.state("v1")
    assert s is not None
    again = VisitorState.from_bytes(s.to_bytes())
    assert again == s
    assert again.to_dict() == s.to_dict()
    assert len(s.to_bytes()) < 600


def test_who_is_on_summary() -> None:
    from footfall.engine import visitor_summary

    d = drive(idle_timeout=600)
    d.send(page_view("v1", at(0), "https://e.com/a", country="DE", customer={"name": "Ann"}))
    d.send(chat("chat_invited", "v1", at(30), invitation_id="i1"))
    summary = visitor_summary(d.states["v1"], BASE_TIME + 90)
    assert summary == {
        "visitor_id": "v1",
        "status": "invited",
        "started_at": at(0),
        "duration_minutes": 1.5,
        "hits": 1,
        "idle_minutes": 1.5,
        "country": "DE",
        "current_page": "https://e.com/a",
        "customer_name": "Ann",
    }
    d.send(event("session_end", "v1", at(100)))
    assert visitor_summary(d.states["v1"], BASE_TIME + 100) is None


def test_window_times_are_trimmed_and_bounded() -> None:
    from footfall.engine.state import WINDOW_EVENTS

    rules = rules_of(rule("busy", when={"hits": {"gte": 3, "window": "1m"}}))
    d = Driver(Engine(rules, EngineConfig(idle_timeout=10_000)))
    fired = [len(d.send(page_view("v1", at(t), event_id=f"e{t}"))) for t in (0, 10, 20, 90)]
    assert fired == [0, 0, 1, 0]  # at 90 only the view at 90 is inside the minute
    assert d.states["v1"].windows["hits"] == [BASE_TIME + 90]
    for i in range(WINDOW_EVENTS + 50):
        d.send(page_view("v1", at(100 + i * 0.01), event_id=f"x{i}"))
    assert len(d.states["v1"].windows["hits"]) == WINDOW_EVENTS


def test_late_event_counts_inside_its_window() -> None:
    rules = rules_of(rule("busy", when={"hits": {"gte": 2, "window": "1m"}}))
    d = Driver(rules)
    d.send(page_view("v1", at(100), event_id="a"))
    # a late view at 50 is evaluated at 50: the view at 100 is in its future
    assert d.send(page_view("v1", at(50), event_id="b")) == []
    assert d.states["v1"].windows["hits"] == [BASE_TIME + 50, BASE_TIME + 100]
    assert len(d.send(page_view("v1", at(101), event_id="c"))) == 1


def test_no_window_times_kept_when_no_rule_windows() -> None:
    d = drive()
    d.send(page_view("v1", at(0)), page_view("v1", at(1)))
    assert d.states["v1"].windows == {}


def test_host_domain() -> None:
    d = drive()
    d.send(page_view("v1", at(0), host_name="10.0.0.1"))
    assert d.states["v1"].host_name == "10.0.0.1" and d.states["v1"].host_domain is None
    d.send(page_view("v1", at(1), host_name="Mail.Example.COM."))
    assert d.states["v1"].host_domain == "example.com"


def test_first_session_id_is_adopted_and_old_session_end_ignored() -> None:
    d = drive()
    d.send(chat("chat_invited", "v1", at(0), invitation_id="i1"))  # no session id yet
    d.send(page_view("v1", at(5), session_id="s1"))
    s = d.states["v1"]
    assert s.visits == 1 and s.session_id == "s1" and s.hits == 1
    d.send(event("session_end", "v1", at(6), session_id="old"))
    assert d.states["v1"].online
    d.send(event("session_end", "v1", at(7), session_id="s1"))
    assert not d.states["v1"].online
