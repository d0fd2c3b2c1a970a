// A team's page: merges its score events from /api/team/stream and pages of history from
// /api/team/events into one table, newest first; updates its score and what is costing it
// points; changes its URL and, once, its name. A token in the address's fragment (a slip's
// QR code) signs in as that team.
"use strict";

signInFromFragment();
// Opening another slip's address on this page only changes the fragment: no new load.
window.addEventListener("hashchange", signInFromFragment);

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

// What is costing the team points: the last five minutes' losses, worst first.
function showLosses(losses) {
  const rows = losses.map((l) => {
    const tr = el("tr");
    tr.dataset.kind = l.kind;
    tr.append(
      el("td", l.label),
      el("td", String(l.count), "num"),
      el("td", l.points, "num neg"),
      el("td", l.example, "muted"),
      el("td", l.hint),
    );
    return tr;
  });
  if (rows.length === 0) {
    const td = el("td", "Nothing lost in the last 5 minutes.", "muted");
    td.colSpan = 5;
    const tr = el("tr");
    tr.append(td);
    rows.push(tr);
  }
  document.getElementById("losses").replaceChildren(...rows);
}

function showStatus(s) {
  document.getElementById("team").textContent = s.name;
  const done = document.querySelector("#name-done b");
  if (done) done.textContent = s.name;
  const score = document.getElementById("score");
  score.textContent = s.score;
  score.className = signClass(s.score_milli);
  document.getElementById("rank").textContent = s.rank === null ? "–" : String(s.rank);
  document.getElementById("urls").replaceChildren(...s.urls.map((u) => {
    const li = el("li");
    li.append(el("code", u));
    return li;
  }));
  showEndpoint(s.endpoint);
}

// `text` as a sentence: a full stop at its end unless it has one.
function sentence(text) {
  return /[.?!]$/.test(text) ? text : text + ".";
}

// Where the team's endpoint stands, and what its last check found.
function showEndpoint(e) {
  if (!e) return;
  const state = document.getElementById("endpoint-state");
  state.className = e.waiting ? "error" : "muted";
  state.textContent = e.waiting
    ? "No endpoint yet: the game sends you no load (and takes no points for it) until you register your endpoint's URL below."
    : "Your endpoint: " + e.state;
  const check = document.getElementById("last-check");
  const last = e.last_check;
  check.className = last ? (last.passed ? "ok" : "error") : "muted";
  check.textContent = last ? "Last check at " + last.at + ": " + last.text : "";
  const submit = document.getElementById("url-submit");
  if (submit) submit.textContent = e.waiting ? "Register" : "Change URL";
  const label = document.querySelector("label[for=url]");
  if (label) label.textContent = e.waiting ? "Your endpoint's URL (your load balancer)" : "New endpoint URL";
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
stream.addEventListener("status", (m) => showLosses(JSON.parse(m.data).losses));
stream.addEventListener("lagged", () => fetchPage(""));

document.getElementById("older").addEventListener("click", () => fetchPage(nextBefore));
document.getElementById("source").addEventListener("change", () => {
  document.getElementById("filter").submit();
});

const nameForm = document.getElementById("name-form");
if (nameForm) {
  nameForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const result = document.getElementById("name-result");
    const answer = await fetch("/api/team/name", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ name: document.getElementById("name").value }),
    });
    const reply = await answer.json().catch(() => ({}));
    if (answer.ok) {
      document.getElementById("team").textContent = reply.name;
      nameForm.replaceWith(named(reply.name));
    } else if (answer.status === 409) {
      // Named already (from another browser): the organizers' words say who may change it.
      const done = el("p", reply.error || "Your team has already chosen its name.");
      done.id = "name-done";
      nameForm.replaceWith(done);
    } else {
      result.className = "error";
      result.textContent = reply.error || "failed";
    }
  });
}

// What the page shows once the team has named itself (the server writes the same).
function named(name) {
  const done = el("p", "You are ");
  done.id = "name-done";
  done.append(el("b", name), ". A team names itself once: to change your name, ask the organizers.");
  return done;
}

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
    if (!answer.ok) {
      result.className = "error";
      result.textContent = reply.error || "failed";
      return;
    }
    // Taken whatever the check found: a team may register before its server is up.
    const check = reply.check;
    result.className = check.passed ? "ok" : "error";
    result.textContent = check.passed
      ? "Now using " + reply.url + ". Check passed: " + check.text
      : "Now using " + reply.url + ", but the check failed: " + sentence(check.text) +
        " The load goes there from now on: fix it and press Check my endpoint.";
    document.getElementById("url").value = "";
  });
}

const checkButton = document.getElementById("check");
if (checkButton) {
  checkButton.addEventListener("click", async () => {
    const result = document.getElementById("url-result");
    result.className = "muted";
    result.textContent = "Checking…";
    const answer = await fetch("/api/team/check", { method: "POST", credentials: "same-origin" });
    const reply = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      result.className = "error";
      result.textContent = reply.error || "failed";
      return;
    }
    result.className = reply.passed ? "ok" : "error";
    result.textContent = (reply.passed ? "Check passed: " : "Check failed: ") + reply.text;
  });
}

// The team's health: answers a second (correct and each kind of error), p50/p99 latency,
// instances billed and cost; over the last ten minutes and over the whole game.
const KIND_COLOURS = ["#fb7185", "#f59e0b", "#a78bfa", "#f472b6", "#e879f9", "#fca5a5",
  "#22d3ee", "#94a3b8", "#ffd166"];

async function drawHealth(window, prefix) {
  const answer = await fetch("/api/team/health?window=" + window, { credentials: "same-origin" });
  if (!answer.ok) return;
  const h = await answer.json();
  const answers = [{ label: "correct/s", colour: "#4ade80", values: h.correct_per_s, width: 3 }]
    .concat(h.errors_per_s.map(([kind, values], i) => ({
      label: kind + "/s", colour: KIND_COLOURS[i % KIND_COLOURS.length], values,
    })));
  chart(document.getElementById(prefix + "-answers"), "Answers a second", h.t, answers);
  chart(document.getElementById(prefix + "-latency"), "Latency from due (ms)", h.t, [
    { label: "p50", colour: "#4cc2ff", values: h.p50_ms },
    { label: "p99", colour: "#fb7185", values: h.p99_ms, width: 3 },
  ]);
  chart(document.getElementById(prefix + "-servers"), "Instances and cost", h.t, [
    { label: "instances", colour: "#4cc2ff", values: h.instances, width: 3 },
    { label: "cost $", colour: "#ffd166", values: h.cost, scale: "right", dash: [8, 5] },
  ]);
  const box = document.getElementById("health");
  box.dataset[prefix] = String(Number(box.dataset[prefix] || 0) + 1);
  box.dataset[prefix + "Points"] = String(h.t.length);
}

const drawAllHealth = throttled(() => {
  drawHealth("10m", "recent");
  drawHealth("all", "game");
}, 3000);
stream.addEventListener("status", drawAllHealth);
stream.addEventListener("score", drawAllHealth);
drawAllHealth();
