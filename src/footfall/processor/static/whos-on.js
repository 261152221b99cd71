// The Who's On page: polls the processor's JSON API and renders it. Every value is
// put into the page with textContent, never as HTML.
//
// The API answers only with a token (FOOTFALL_READ_TOKEN to read, FOOTFALL_ADMIN_TOKEN
// to read and to remove or purge). The page keeps the one entered in this tab's
// sessionStorage; a link ending in #token=... (as `footfall dev` prints) sets it too,
// and the token is taken off the address bar at once. The fragment is never sent to
// the server.
"use strict";

const POLL_MS = 2000;
const TOKEN_KEY = "footfall-token";

function tokenFromLink() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get("token");
  if (token === null) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return token.trim();
}

const linked = tokenFromLink();
if (linked !== null) sessionStorage.setItem(TOKEN_KEY, linked);
const state = { filter: "", token: sessionStorage.getItem(TOKEN_KEY) || "" };

function authorization() {
  return state.token ? { Authorization: `Bearer ${state.token}` } : {};
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  }
  return node;
}

function minutes(value) {
  if (value === null || value === undefined) return "";
  const total = Math.max(0, Math.floor(Number(value) * 60));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}` : `${m}:${String(s).padStart(2, "0")}`;
}

function localTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return isNaN(date) ? String(iso) : date.toLocaleTimeString();
}

class Refused extends Error {}

async function getJSON(path) {
  const response = await fetch(path, { headers: { Accept: "application/json", ...authorization() } });
  if (response.status === 401 || response.status === 403) {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).error || detail; } catch (_) { /* keep status */ }
    throw new Refused(detail);
  }
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function setStatus(text) { document.getElementById("status").textContent = text; }

async function control(action, visitorId) {
  if (!state.token) {
    setStatus("Enter the admin token to remove or purge visitors.");
    document.getElementById("token").focus();
    return;
  }
  if (action === "purge" && !confirm(`Erase everything stored about ${visitorId}?`)) return;
  const response = await fetch(`/api/visitors/${encodeURIComponent(visitorId)}/${action}`, {
    method: "POST",
    headers: authorization(),
  });
  if (response.ok) {
    setStatus(`${action === "purge" ? "Purging" : "Removing"} ${visitorId}…`);
    setTimeout(refresh, 500);
  } else {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).error || detail; } catch (_) { /* keep status */ }
    setStatus(`Could not ${action} ${visitorId}: ${detail}`);
  }
}

function visitorRow(v) {
  const who = el("td", {}, v.visitor_id);
  if (v.customer_name) who.append(el("div", { class: "customer" }, v.customer_name));
  return el("tr", { "data-visitor": v.visitor_id },
    el("td", {}, el("span", { class: `badge ${v.status}` }, v.status)),
    who,
    el("td", {}, localTime(v.started_at)),
    el("td", { class: "num" }, minutes(v.duration_minutes)),
    el("td", { class: "num" }, String(v.hits ?? 0)),
    el("td", { class: "num" }, minutes(v.idle_minutes)),
    el("td", {}, v.country || ""),
    el("td", { class: "page", title: v.current_page || "" }, v.current_page || ""),
    el("td", {},
      el("button", { class: "act remove", onclick: () => control("remove", v.visitor_id) }, "Remove"),
      el("button", { class: "act purge", onclick: () => control("purge", v.visitor_id) }, "Purge")),
  );
}

function matches(v) {
  if (!state.filter) return true;
  const hay = [v.visitor_id, v.customer_name, v.country, v.current_page].join(" ").toLowerCase();
  return hay.includes(state.filter);
}

function renderVisitors(data) {
  const visitors = data.visitors || [];
  document.getElementById("online-count").textContent = String(visitors.length);
  const rows = visitors.filter(matches).map(visitorRow);
  document.getElementById("visitor-rows").replaceChildren(...rows);
  document.getElementById("no-visitors").hidden = visitors.length > 0;
  const unreachable = data.unreachable || [];
  setStatus(unreachable.length ? `${unreachable.length} processor instance(s) did not answer` : "");
}

function renderRules(data) {
  const rules = data.rules || [];
  const owner = (o) => (o ? (o.id ? `${o.role}:${o.id}` : o.role) : "");
  document.getElementById("rule-rows").replaceChildren(...rules.map((r) => el("tr", { "data-rule": r.id },
    el("td", {}, r.id), el("td", {}, r.name || ""), el("td", {}, r.event || ""),
    el("td", {}, owner(r.owner)), el("td", {}, r.version || ""),
    el("td", {}, r.enabled === false ? "no" : "yes"),
    el("td", { class: "num" }, String(r.fired ?? 0)), el("td", { class: "num" }, String(r.suppressed ?? 0)),
  )));
  document.getElementById("no-rules").hidden = rules.length > 0;
}

function renderDeadLetters(data) {
  const letters = data.dead_letters || [];
  const source = (s) => (s ? `${s.topic}[${s.partition}]@${s.offset}` : "");
  const payload = (p) => (typeof p === "string" ? p : JSON.stringify(p));
  document.getElementById("dead-letter-rows").replaceChildren(...letters.map((d) => el("tr", {},
    el("td", {}, d.reason || ""), el("td", {}, d.error || ""), el("td", {}, source(d.source)),
    el("td", { class: "payload" }, (payload(d.payload) || "").slice(0, 500)),
  )));
  document.getElementById("no-dead-letters").hidden = letters.length > 0;
}

async function refresh() {
  try {
    const [visitors, rules, letters] = await Promise.all([
      getJSON("/api/visitors"), getJSON("/api/rules"), getJSON("/api/dead-letters?limit=50"),
    ]);
    renderVisitors(visitors);
    renderRules(rules);
    renderDeadLetters(letters);
    document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (error) {
    if (error instanceof Refused) {
      // show nothing the token does not grant (e.g. after a wrong token was entered)
      renderVisitors({ visitors: [] });
      renderRules({ rules: [] });
      renderDeadLetters({ dead_letters: [] });
      document.getElementById("online-count").textContent = "–";
      for (const id of ["no-visitors", "no-rules", "no-dead-letters"]) {
        document.getElementById(id).hidden = true; // not "nobody is on": we do not know
      }
      const hint = state.token ? "The token was refused" : "Enter a token to see the lists";
      setStatus(`${hint} (FOOTFALL_READ_TOKEN or FOOTFALL_ADMIN_TOKEN): ${error.message}`);
    } else {
      setStatus(`Cannot reach the processor: ${error.message}`);
    }
  }
}

document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
  document.querySelectorAll(".tab, .panel").forEach((n) => n.classList.remove("active"));
  tab.classList.add("active");
  document.getElementById(tab.dataset.tab).classList.add("active");
}));
document.getElementById("filter").addEventListener("input", (event) => {
  state.filter = event.target.value.trim().toLowerCase();
  refresh();
});
document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.token = document.getElementById("token").value.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  setStatus(state.token ? "Token set for this tab." : "Token cleared.");
  refresh();
});
document.getElementById("token").value = state.token;
window.addEventListener("hashchange", () => {
  const token = tokenFromLink();
  if (token === null) return;
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  document.getElementById("token").value = token;
  refresh();
});

refresh();
setInterval(refresh, POLL_MS);
