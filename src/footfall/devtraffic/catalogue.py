"""What the simulated visitors are made of: pages, referrers, places, browsers, chat lines.

A small help-desk vendor's site (``www.example.com``): product pages, pricing, a
checkout in a single-page app (virtual pages), a knowledge base and a support portal.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "AGENTS",
    "CHAT_AGENT_LINES",
    "CHAT_VISITOR_LINES",
    "DEPARTMENTS",
    "FORGET_ME_LINE",
    "LANDING_PAGES",
    "LOCALES",
    "NAMES",
    "PAGES",
    "REFERRERS",
    "USER_AGENTS",
    "Locale",
    "Page",
]


class Page(NamedTuple):
    """A page of the site: path, title, optional virtual page, the pages linked from it."""

    path: str
    title: str
    virtual_page: str | None
    links: tuple[str, ...]


PAGES: dict[str, Page] = {
    page.path: page
    for page in (
        Page("/", "Example Help Desk — Home", None, ("/product", "/pricing", "/kb", "/blog")),
        Page("/product", "Product tour", None, ("/pricing", "/product/live-chat", "/kb")),
        Page(
            "/product/live-chat",
            "Live chat and Who's On",
            None,
            ("/pricing", "/product", "/contact"),
        ),
        Page("/pricing", "Pricing", None, ("/pricing/enterprise", "/checkout", "/contact")),
        Page(
            "/pricing/enterprise",
            "Enterprise pricing",
            None,
            ("/contact", "/checkout", "/pricing"),
        ),
        Page("/checkout", "Checkout", "/checkout/step-1", ("/checkout/step-2", "/pricing")),
        Page("/checkout/step-2", "Checkout", "/checkout/step-2", ("/checkout/step-3",)),
        Page("/checkout/step-3", "Checkout", "/checkout/step-3", ("/checkout/done", "/pricing")),
        Page("/checkout/done", "Thank you for your order", "/checkout/done", ("/kb",)),
        Page("/contact", "Contact sales", None, ("/pricing", "/")),
        Page("/kb", "Knowledge base", None, ("/kb/install", "/kb/billing", "/support")),
        Page("/kb/install", "Installing the tracker", None, ("/kb", "/support")),
        Page("/kb/billing", "Billing questions", None, ("/kb", "/pricing", "/support")),
        Page("/support", "Support portal", "/portal/tickets", ("/support/new-ticket", "/kb")),
        Page(
            "/support/new-ticket",
            "Open a ticket",
            "/portal/tickets/new",
            ("/support", "/kb"),
        ),
        Page("/blog", "Blog", None, ("/blog/who-is-on", "/product")),
        Page("/blog/who-is-on", "Knowing who is on your site", None, ("/product", "/pricing")),
    )
}

# (path, weight) of the pages visitors arrive on.
LANDING_PAGES: tuple[tuple[str, int], ...] = (
    ("/", 30),
    ("/pricing", 15),
    ("/product", 10),
    ("/blog/who-is-on", 10),
    ("/kb/install", 10),
    ("/support", 10),
    ("/kb/billing", 5),
    ("/product/live-chat", 10),
)

# (referrer or None for direct traffic, weight)
REFERRERS: tuple[tuple[str | None, int], ...] = (
    (None, 30),
    ("https://www.google.com/", 30),
    ("https://www.bing.com/search?q=help+desk+software", 8),
    ("https://duckduckgo.com/", 6),
    ("https://news.ycombinator.com/item?id=4211", 4),
    ("https://www.linkedin.com/feed/", 6),
    ("https://partner.example.org/resellers", 6),
    ("https://mail.example.net/newsletter/2026-11", 10),
)


class Locale(NamedTuple):
    """Where a visitor is: country, region, browser language, an address block, host."""

    country: str
    region: str
    language: str
    ip_prefix: str
    host_domain: str


# Addresses come from the documentation ranges (RFC 5737, RFC 3849).
LOCALES: tuple[tuple[Locale, int], ...] = (
    (Locale("US", "CA", "en-US", "192.0.2.", "comcast.example.net"), 30),
    (Locale("US", "NY", "en-US", "198.51.100.", "verizon.example.net"), 15),
    (Locale("GB", "ENG", "en-GB", "203.0.113.", "bt.example.co.uk"), 12),
    (Locale("DE", "BY", "de-DE", "2001:db8:de::", "telekom.example.de"), 12),
    (Locale("AT", "9", "de-AT", "2001:db8:a7::", "a1.example.at"), 4),
    (Locale("CH", "ZH", "de-CH", "2001:db8:c4::", "swisscom.example.ch"), 4),
    (Locale("FR", "IDF", "fr-FR", "2001:db8:f2::", "orange.example.fr"), 8),
    (Locale("ES", "MD", "es-ES", "2001:db8:e5::", "movistar.example.es"), 5),
    (Locale("JP", "13", "ja-JP", "2001:db8:9a::", "ocn.example.jp"), 5),
    (Locale("BR", "SP", "pt-BR", "2001:db8:b4::", "vivo.example.com.br"), 5),
)

USER_AGENTS: tuple[tuple[str, int], ...] = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        35,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/18.1 Safari/605.1.15",
        15,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 10),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        10,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        15,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        10,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 5),
)

NAMES: tuple[str, ...] = (
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Linus Meier",
    "Margaret Hamilton",
    "Jürgen Schmidt",
    "Amélie Durand",
    "Sofía García",
    "Haruki Sato",
    "João Silva",
    "Radia Perlman",
)

AGENTS: tuple[str, ...] = ("alice", "bob", "carol")
DEPARTMENTS: tuple[str, ...] = ("sales", "support", "billing")

CHAT_VISITOR_LINES: tuple[str, ...] = (
    "Hi, do you offer a discount for nonprofits?",
    "How much is the enterprise plan for 40 agents?",
    "I cannot install the tracker on my site, can you help?",
    "Is there a free trial?",
    "My invoice looks wrong, I was charged twice.",
    "Can I cancel anytime?",
    "Does it work with our single sign-on?",
    "Thanks, that helps!",
    "This is urgent, our chat widget is down.",
    "I'd like a refund please.",
)

FORGET_ME_LINE = "Please forget me and delete my data."

CHAT_AGENT_LINES: tuple[str, ...] = (
    "Hello! How can I help you today?",
    "Sure, let me check that for you.",
    "Our enterprise plan starts at 40 agents, I can send you a quote.",
    "Yes, there is a 30-day free trial.",
    "I have opened a ticket for you, you will get an email shortly.",
    "Anything else I can help with?",
)
