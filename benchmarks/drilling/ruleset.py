"""The drill's rule set: every action kind, both throttles, cascades, tick-fired rules.

Each rule says how its commands are compared with what ``footfall simulate`` fires for
the same events (:class:`Match`):

- ``ID``: fired by an event the drill produced, with no clock condition and no per-rule
  throttle, so its command id (rule, version, action, visitor, event id) is the same
  wherever and whenever it is evaluated: compared by ``command_id``;
- ``VISITOR``: fired on ticks (clock conditions) or by events that an action fed back
  or the processor synthesised (an invitation's timeout), whose times are the live
  system's: compared by (rule, action, visitor);
- ``WINDOW``: throttled per rule: which candidate a window admits depends on the order
  the throttle agent reads candidates from several partitions; compared by time: each
  simulated command needs a live one of the same rule action within one window of it.
"""

from __future__ import annotations

import enum
from pathlib import Path

__all__ = [
    "MATCH",
    "RULE_WINDOWS",
    "Match",
    "write_definitions",
]

SINK = "@SINK@"


class Match(enum.Enum):
    ID = "command id"
    VISITOR = "rule and visitor"
    WINDOW = "count per window"


#: how each rule's commands are compared (by rule id)
MATCH: dict[str, Match] = {
    "drill-pricing-log": Match.ID,
    "drill-checkout-call": Match.ID,
    "drill-accepted-crm": Match.ID,
    "drill-rejected-profile": Match.ID,
    "drill-chat-started-mail": Match.ID,
    "drill-forget-me": Match.ID,
    "drill-ignored-log": Match.VISITOR,
    "drill-invite-engaged": Match.VISITOR,
    "drill-invited-log": Match.VISITOR,
    "drill-idle-remove": Match.VISITOR,
    "drill-removed-call": Match.VISITOR,
    "drill-purged-audit": Match.VISITOR,
    "drill-sales-digest": Match.WINDOW,
}

#: the per-rule throttle window of each WINDOW rule (seconds)
RULE_WINDOWS: dict[str, float] = {"drill-sales-digest": 20.0}

_RULES = """\
# Event rules, compared by command id.
- id: drill-pricing-log
  name: Log pricing readers (per-visitor throttle)
  owner: {role: admin}
  event: online_activity
  when: [{current_page: {contains: /pricing}}, {hits: {gte: 2}}]
  actions:
    - kind: log_to_file
      file: drill/pricing.log
      max_frequency: 1m
      per: visitor

- id: drill-checkout-call
  name: Call the shop when a visitor reaches checkout step 3
  owner: {role: admin}
  event: online_activity
  when: {current_virtual_page: {eq: /checkout/step-3}}
  actions:
    - kind: call_web_page
      url: "@SINK@/crm/checkout?visitor={{visitor_id}}"
      method: POST
      body: {visitor: "{{visitor_id}}", hits: "{{hits}}"}
      timeout: 5s

- id: drill-accepted-crm
  name: Tell the CRM about accepted invitations
  owner: {role: admin}
  event: live_chat_accepted
  actions:
    - kind: notify_external_provider
      provider: crm
      payload: {event: accepted, visitor: "{{visitor_id}}"}

- id: drill-rejected-profile
  name: Tell me about rejected invitations
  owner: {role: agent, id: alice}
  event: live_chat_rejected
  actions:
    - kind: use_my_notification_profile
      subject: "Rejected by {{visitor_id}}"
      body: "{{visitor_id}} rejected an invitation on {{current_page}}"

- id: drill-chat-started-mail
  name: Mail support when a chat starts
  owner: {role: admin}
  event: live_chat_started
  actions:
    - kind: send_email
      to: [support@example.com]
      subject: "Chat with {{visitor_id}}"
      body: "{{visitor_id}} is chatting with {{agent}}"

- id: drill-forget-me
  name: Purge visitors who ask to be forgotten
  owner: {role: admin}
  event: live_chat_message
  when: {sent_message: {matches: "(forget me|delete my (data|account))"}}
  actions:
    - kind: purge_from_list

# Fired on ticks, by fed-back or synthesised events: compared by rule and visitor.
- id: drill-ignored-log
  name: Log ignored invitations (sent or timed out)
  owner: {role: admin}
  event: live_chat_invitation_ignored
  actions:
    - kind: log_to_file
      file: drill/ignored.log

- id: drill-invite-engaged
  name: Invite visitors who stay a while (fires on ticks)
  owner: {role: admin}
  event: online_activity
  when: [{hits: {gte: 4}}, {duration_minutes: {gte: 0.5}}, {chat_status: {in: [none, ended]}}]
  actions:
    - kind: send_live_chat_invitation
      message: "Can we help?"
      department: sales
      max_frequency: 10m
      per: visitor

- id: drill-invited-log
  name: Log the invitations rules send (cascade)
  owner: {role: admin}
  event: live_chat_invited
  when: {agent: {exists: false}}
  actions:
    - kind: log_to_file
      file: drill/invited.log

- id: drill-idle-remove
  name: Remove visitors idle for a minute (fires on ticks)
  owner: {role: admin}
  event: online_activity
  when: [{idle_minutes: {gte: 1}}, {not: {chat_status: {eq: chatting}}}]
  actions:
    - kind: remove_from_list

- id: drill-removed-call
  name: Report removals (cascade)
  owner: {role: admin}
  event: online_visitor_removed
  actions:
    - kind: call_web_page
      url: "@SINK@/reports/removed?visitor={{visitor_id}}"

- id: drill-purged-audit
  name: Record erasures (cascade)
  owner: {role: admin}
  event: online_visitor_purged
  actions:
    - kind: log_to_file
      file: drill/purged.log
    - kind: send_email
      to: [privacy@example.com]
      subject: "{{visitor_id}} was purged"

# Throttled per rule: compared by count per window.
- id: drill-sales-digest
  name: Tell sales about pricing readers, at most every 20 seconds
  owner: {role: admin}
  event: online_activity
  when: {current_page: {contains: /pricing}}
  actions:
    - kind: send_email
      to: [sales@example.com]
      subject: "Pricing reader {{visitor_id}}"
      max_frequency: 20s
"""

_PROFILES = {
    "admin.yaml": (
        "id: admin\nname: Administrators\nemails: [admins@example.com]\nsms: []\nenabled: true\n"
    ),
    "alice.yaml": (
        'id: "agent:alice"\nname: Alice\nemails: [alice@example.com]\n'
        "sms: [15555550100@sms.example.com]\nenabled: true\n"
    ),
}

_PROVIDER = """\
name: crm
url: "@SINK@/providers/crm"
secret_env: FOOTFALL_DEV_PROVIDER_SECRET
timeout: 10s
"""


def write_definitions(directory: Path, sink_url: str) -> dict[str, Path]:
    """Write the rules, profiles and provider with ``sink_url``; their directories by kind."""
    found = {kind: directory / kind for kind in ("profiles", "providers", "rules")}
    for path in found.values():
        path.mkdir(parents=True, exist_ok=True)
    (found["rules"] / "drill.yaml").write_text(_RULES.replace(SINK, sink_url), encoding="utf-8")
    for name, text in _PROFILES.items():
        (found["profiles"] / name).write_text(text, encoding="utf-8")
    (found["providers"] / "crm.yaml").write_text(
        _PROVIDER.replace(SINK, sink_url), encoding="utf-8"
    )
    return found
