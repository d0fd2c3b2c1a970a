// The organizer's page: sends controls to /api/admin/*, shows a new token once, and keeps the
// status and the teams table current from /api/admin/stream.
"use strict";

const result = document.getElementById("result");
const withToken = new Set(
  Array.from(document.querySelectorAll("#teams tr"))
    .filter((tr) => tr.dataset.hasToken === "true")
    .map((tr) => tr.dataset.team),
);

function say(ok, text) {
  result.className = ok ? "ok" : "error";
  result.textContent = text;
}

async function post(path, body) {
  const init = { method: "POST", credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(path, init);
  const reply = await answer.json().catch(() => ({}));
  if (!answer.ok) say(false, reply.error || "failed (" + answer.status + ")");
  return answer.ok ? reply : null;
}

document.querySelectorAll("button[data-action]").forEach((b) => {
  b.addEventListener("click", async () => {
    const reply = await post("/api/admin/" + b.dataset.action);
    if (reply) say(true, "Sent: " + reply.ok);
  });
});

document.getElementById("announce").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = document.getElementById("text");
  if (await post("/api/admin/announce", { text: text.value })) {
    say(true, "Announced.");
    text.value = "";
  }
});

// One id per adjustment typed in, kept until it is recorded: a second click or a retry
// after a network error sends the same id, and the game records the adjustment once.
let adjustId = null;
function newAdjustId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
for (const id of ["adjust-team", "points", "reason"]) {
  document.getElementById(id).addEventListener("input", () => { adjustId = null; });
}

document.getElementById("adjust").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  adjustId = adjustId || newAdjustId();
  const reply = await post("/api/admin/adjust", {
    team: document.getElementById("adjust-team").value,
    points: document.getElementById("points").value,
    reason: document.getElementById("reason").value,
    request_id: adjustId,
  });
  if (reply) {
    adjustId = null;
    say(true, "Adjusted " + reply.team + " by " + reply.points + ": " + reply.reason);
    document.getElementById("points").value = "";
    document.getElementById("reason").value = "";
  }
});

// Breaks a team's stack (or every team's), and restores a team's breaks: the game answers
// at once; how each break went shows in the Breaks table as the game notes it.
document.getElementById("break").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const team = document.getElementById("break-team").value;
  const action = document.getElementById("break-action").value;
  const whom = team === "*" ? "every team it can reach" : team;
  if (!confirm("Break " + whom + " with " + action + "?")) return;
  const reply = await post("/api/admin/break", {
    team,
    action,
    for: document.getElementById("break-for").value,
    tell: document.getElementById("break-tell").checked,
  });
  if (reply) say(true, "Breaking " + whom + ": " + reply.action + ". How it went shows under Breaks.");
});

document.getElementById("restore").addEventListener("click", async () => {
  const team = document.getElementById("break-team").value;
  const reply = await post("/api/admin/restore", team === "*" ? {} : { team });
  if (reply) say(true, "Restoring " + (team === "*" ? "every team" : team) + ".");
});

// Renames a team: its new public name and a reason the team reads in its events.
async function rename(team) {
  const name = prompt("New public name of " + team + " (1 to 40 characters):");
  if (name === null) return;
  const reason = prompt("Why? (the team reads this)");
  if (reason === null) return;
  const path = "/api/admin/teams/" + encodeURIComponent(team) + "/name";
  const reply = await post(path, { name, reason });
  if (reply) say(true, "Renamed " + reply.team + " to " + reply.name + ".");
}

// Sets a team's endpoint for it (its registration if it had none), and says what the
// engine's check of it found.
async function setUrl(team) {
  const url = prompt("Endpoint URL of " + team + " (http:// or https://):");
  if (url === null) return;
  const reply = await post("/api/team/url", { team, url });
  if (reply) {
    const check = reply.check;
    say(check.passed, team + " now answers at " + reply.url + ". Check: " + check.text);
  }
}

document.getElementById("teams").addEventListener("click", async (ev) => {
  if (ev.target.dataset && ev.target.dataset.rename) {
    await rename(ev.target.dataset.rename);
    return;
  }
  if (ev.target.dataset && ev.target.dataset.setUrl) {
    await setUrl(ev.target.dataset.setUrl);
    return;
  }
  const team = ev.target.dataset && ev.target.dataset.newToken;
  if (!team) return;
  if (!confirm("Replace the token of " + team + "? Its old token stops working.")) return;
  const reply = await post("/api/admin/teams/" + encodeURIComponent(team) + "/token");
  if (!reply) return;
  withToken.add(reply.team);
  document.getElementById("new-token-team").textContent = reply.team;
  document.getElementById("new-token-value").textContent = reply.token;
  document.getElementById("new-token").hidden = false;
  say(true, "New token for " + reply.team + " below: it is shown only once.");
});

// The Breaks table: the latest breaks and restores (a failed one in red, with why), and how
// many earlier ones it leaves out.
function drawBreaks(breaks, earlier) {
  document.getElementById("no-breaks").hidden = breaks.length > 0;
  document.getElementById("break-table").hidden = breaks.length === 0;
  document.getElementById("breaks-earlier").hidden = !earlier;
  document.getElementById("breaks-earlier-count").textContent = String(earlier || 0);
  document.getElementById("break-rows").replaceChildren(...breaks.map((b) => {
    const tr = el("tr");
    tr.append(
      el("td", b.at),
      el("td", b.team),
      el("td", b.kind + " " + b.action),
      el("td", b.text, b.outcome.outcome === "failed" ? "bad" : ""),
      el("td", b.tell ? "told" : "not told"),
    );
    return tr;
  }));
}

// The Webhooks table: each hook's label (never its URL), what it sent, and since when it
// fails, with why.
function drawHooks(hooks) {
  const rows = document.getElementById("hook-rows");
  if (!rows) return;
  rows.replaceChildren(...hooks.map((h) => {
    const state = el("td");
    if (h.failing_since_unix_ms) {
      const since = new Date(h.failing_since_unix_ms).toISOString().slice(11, 19) + " UTC";
      state.append(el("b", "failing since " + since, "bad"), ": " + (h.last_error || ""));
    } else {
      state.textContent = "ok";
    }
    const tr = el("tr");
    tr.append(
      el("td", h.label),
      el("td", String(h.sent), "num"),
      el("td", String(h.pending), "num"),
      el("td", String(h.given_up + h.dropped), "num"),
      state,
    );
    return tr;
  }));
}

function drawStatus(s) {
  document.getElementById("now").textContent = s.now;
  const ledger = document.getElementById("ledger");
  ledger.hidden = !s.ledger_warning;
  ledger.textContent = s.ledger_warning || "";
  const words = [s.over ? "over" : s.paused ? "paused" : "running"];
  if (s.frozen) words.push("frozen");
  document.getElementById("state").textContent = words.join(", ");
  document.getElementById("offered").textContent = s.offered;
  document.getElementById("phase").textContent = s.phase;
  drawBreaks(s.breaks, s.breaks_earlier);
  drawHooks(s.webhooks || []);
  document.getElementById("teams").replaceChildren(...s.teams.map((t) => {
    const tr = el("tr");
    tr.dataset.team = t.team;
    const button = el("button", "New token", "quiet");
    button.dataset.newToken = t.team;
    const renameButton = el("button", "Rename", "quiet");
    renameButton.dataset.rename = t.team;
    const urlButton = el("button", "Set endpoint", "quiet");
    urlButton.dataset.setUrl = t.team;
    const action = el("td");
    action.append(button, " ", renameButton, " ", urlButton);
    const check = el("td", "", "last-check");
    const last = t.endpoint.last_check;
    if (last) check.append(el("span", last.at + " " + last.text, last.passed ? "ok" : "error"));
    const who = el("td", t.name + " ");
    who.append(el("span", t.team, "muted"));
    tr.append(
      el("td", String(t.rank), "num"),
      who,
      el("td", t.score, "num " + signClass(t.score_milli)),
      el("td", t.urls.join(" ")),
      el("td", t.endpoint.state, "endpoint-state"),
      check,
      el("td", withToken.has(t.team) ? "yes" : "none"),
      action,
    );
    return tr;
  }));
}

const live = document.getElementById("live");
const stream = new EventSource("/api/admin/stream");
stream.onopen = () => live.classList.remove("off");
stream.onerror = () => live.classList.add("off");
stream.addEventListener("status", (m) => drawStatus(JSON.parse(m.data)));
