from footfall.rules.fields import (
    COUNT_FIELDS,
    FACT_FIELDS,
    FIELDS,
    WINDOWABLE_FIELDS,
    FieldType,
)


def test_catalogue_has_every_spec_field_with_its_type() -> None:
    expected = {
        "time_of_day": FieldType.TIME,
        "day_of_week": FieldType.DAY,
        "sent_message": FieldType.TEXT,
        "ip": FieldType.IP,
        "session_start": FieldType.DATETIME,
        "duration_minutes": FieldType.NUMBER,
        "idle_minutes": FieldType.NUMBER,
        "chat_status": FieldType.STATUS,
        "hits": FieldType.COUNT,
        "visits": FieldType.COUNT,
        "invitation_last_sent": FieldType.DATETIME,
        "last_chat_at": FieldType.DATETIME,
        "first_chat_at": FieldType.DATETIME,
        "visitor_id": FieldType.STRING,
        "site": FieldType.STRING,
        "user_agent": FieldType.STRING,
        "host_domain": FieldType.STRING,
        "current_virtual_page": FieldType.STRING,
        "initial_referrer": FieldType.STRING,
    }
    for name, kind in expected.items():
        assert FIELDS[name].type is kind, name
    assert len(FIELDS) == 40


def test_windowable_counts() -> None:
    assert {
        "hits",
        "invites_sent",
        "invites_rejected",
        "invites_accepted",
        "invites_ignored",
        "visits",
    } == WINDOWABLE_FIELDS
    assert COUNT_FIELDS == WINDOWABLE_FIELDS


def test_fact_fields_exclude_only_derived_time_fields() -> None:
    assert set(FIELDS) - set(FACT_FIELDS) == {"time_of_day", "day_of_week"}
    assert "visitor_id" in FACT_FIELDS
