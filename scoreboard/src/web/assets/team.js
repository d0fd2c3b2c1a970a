// A team's page: merges its score events from /api/team/stream and pages of history from
// /api/team/events into one table, newest first; updates its score; changes its URL.
"use strict";

const LONGEST_TABLE = 1000;
const events = new Map();
const body = document.getElementById("events");
const source = document.getElementById("source").value;
let nextBefore = body.dataset.nextBefore || "";

function newestFirst(a, b) {
  if (a.at_ms !== b.at_ms) return b.at_ms - a.at_ms;
  if (a.cause !== b.cause) return a.cause < b.cause ? 1 : -1;
  return b.seq - a.seq;
}

function add(e) {
  events.set(e.cause + "#" + e.seq, e);
}

function draw() {
  const rows = Array.from(events.values()).sort(newestFirst).slice(0, LONGEST_TABLE);
  body.replaceChildren(...rows.map((e) => {
    const tr = el("tr");
    tr.append(
      el("td", e.at, "num"),
      el("td", e.source),
      el("td", e.points, "num " + signClass(e.points_milli)),
      el("td", e.reason),
    );
    return tr;
  }));
  document.getElementById("older").hidden = !nextBefore;
}

async function fetchPage(before) {
  const q = new URLSearchParams({ limit: "50" });
  if (source) q.set("source", source);
  if (before) q.set("before", before);
  const answer = await fetch("/api/team/events?" + q, { credentials: "same-origin" });
  if (!answer.ok) return;
  const page = await answer.json();
  page.events.forEach(add);
  if (before || !nextBefore) nextBefore = page.next_before ? String(page.next_before) : "";
  draw();
}

function showStatus(s) {
  const score = document.getElementById("score");
  score.textContent = s.score;
  score.className = signClass(s.score_milli);
  document.getElementById("rank").textContent = s.rank === null ? "–" : String(s.rank);
  document.getElementById("urls").replaceChildren(...s.urls.map((u) => {
    const li = el("li");
    li.append(el("code", u));
    return li;
  }));
}

const live = document.getElementById("live");
const stream = new EventSource("/api/team/stream" + (source ? "?source=" + encodeURIComponent(source) : ""));
stream.onopen = () => {
  live.classList.remove("off");
  fetchPage("");
};
stream.onerror = () => live.classList.add("off");
stream.addEventListener("score", (m) => {
  add(JSON.parse(m.data));
  draw();
});
stream.addEventListener("status", (m) => showStatus(JSON.parse(m.data)));
stream.addEventListener("lagged", () => fetchPage(""));

document.getElementById("older").addEventListener("click", () => fetchPage(nextBefore));
document.getElementById("source").addEventListener("change", () => {
  document.getElementById("filter").submit();
});

const urlForm = document.getElementById("url-form");
if (urlForm) {
  urlForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const result = document.getElementById("url-result");
    result.className = "muted";
    result.textContent = "Checking…";
    const answer = await fetch("/api/team/url", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ url: document.getElementById("url").value }),
    });
    const reply = await answer.json().catch(() => ({}));
    result.className = answer.ok ? "ok" : "error";
    result.textContent = answer.ok ? "Now using " + reply.url : (reply.error || "failed");
  });
}
